import assert from 'node:assert/strict';
import { it } from 'node:test';
import { HostLimiter } from './host-limiter.js';

it('keeps at most N requests in flight per host, others unaffected', async () => {
  const limiter = new HostLimiter(2, 0);
  let active = 0;
  let peak = 0;
  const task = async () => {
    active += 1;
    peak = Math.max(peak, active);
    await new Promise((resolve) => setTimeout(resolve, 20));
    active -= 1;
  };
  await Promise.all(Array.from({ length: 8 }, () => limiter.run('a.example', task)));
  assert.equal(peak, 2);
  peak = 0;
  await Promise.all([
    limiter.run('a.example', task),
    limiter.run('b.example', task),
    limiter.run('c.example', task),
  ]);
  assert.equal(peak, 3);
});

it('spaces request starts to one host by the interval', async () => {
  const limiter = new HostLimiter(4, 50);
  const starts: number[] = [];
  await Promise.all(
    Array.from({ length: 4 }, () => limiter.run('a.example', async () => void starts.push(Date.now()))),
  );
  for (let index = 1; index < starts.length; index++) {
    assert.ok((starts[index] ?? 0) - (starts[index - 1] ?? 0) >= 45, `starts ${starts.join(', ')}`);
  }
});
