import assert from 'node:assert/strict';
import { it } from 'node:test';
import { HttpProblem } from '../problem.js';
import { DEFAULT_SEARCH_LIMIT } from '../request-schemas.js';
import { requestedDownloads } from './downloads.js';

it('turns URLs and name searches into download sources, URLs first, with the default search limit', () => {
  assert.deepEqual(
    requestedDownloads({
      queries: [
        { identity: 'bob', query: 'Bob B' },
        { identity: 'cy', query: 'Cy', limit: 3 },
      ],
      items: [{ identity: 'ann', url: 'https://x.test/a.jpg' }],
    }),
    [
      { identity: 'ann', url: 'https://x.test/a.jpg', source: { kind: 'url', url: 'https://x.test/a.jpg' } },
      {
        identity: 'bob',
        query: 'Bob B',
        source: { kind: 'search', query: 'Bob B', limit: DEFAULT_SEARCH_LIMIT },
      },
      { identity: 'cy', query: 'Cy', source: { kind: 'search', query: 'Cy', limit: 3 } },
    ],
  );
  assert.deepEqual(requestedDownloads({}), []);
});

it('answers 400 for a name that cannot be a storage path part', () => {
  assert.throws(
    () => requestedDownloads({ items: [{ identity: '../etc', url: 'https://x.test/a.jpg' }] }),
    (error) => error instanceof HttpProblem && error.status === 400,
  );
});
