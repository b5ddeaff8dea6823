// pollUntil: the one wait loop of the tests.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { pollUntil } from './support/poll.js';

it('returns the first answer that is not undefined', async () => {
  let calls = 0;
  const found = await pollUntil(() => (++calls === 3 ? 'ready' : undefined), 1_000, 'the third call', 1);
  assert.equal(found, 'ready');
  assert.equal(calls, 3);
});

it('times out naming what it waited for', async () => {
  await assert.rejects(
    pollUntil(() => undefined, 30, 'nothing', 5),
    /timed out after 30 ms waiting for nothing/,
  );
});

it('ends at the first error unless told to retry, then names the last error on timeout', async () => {
  await assert.rejects(
    pollUntil(
      () => {
        throw new Error('refused');
      },
      1_000,
      'a server',
    ),
    /refused/,
  );
  let calls = 0;
  const answer = await pollUntil(
    () => {
      if (++calls < 3) throw new Error('not listening');
      return calls;
    },
    1_000,
    'a server',
    { intervalMs: 1, retryErrors: true },
  );
  assert.equal(answer, 3);
  await assert.rejects(
    pollUntil(
      () => {
        throw new Error('still refused');
      },
      20,
      'a server',
      { intervalMs: 5, retryErrors: true },
    ),
    /waiting for a server \(last error: still refused\)/,
  );
});

it('waits the interval a function gives for each check', async () => {
  const asked: number[] = [];
  let calls = 0;
  await pollUntil(() => (++calls === 4 ? true : undefined), 1_000, 'the fourth call', {
    intervalMs: (check) => {
      asked.push(check);
      return 1;
    },
  });
  assert.deepEqual(asked, [0, 1, 2]);
});
