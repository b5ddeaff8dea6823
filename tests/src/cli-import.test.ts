// `faceshot import` as a user runs it: the CLI process against a real API, with the seed's photos.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { type ApiStack, startApiStack } from './support/api-stack.js';
import { datasetPath, identitiesOf, photosOf } from './support/datasets.js';
import { getJson } from './support/http.js';
import { runCli } from './support/run-command.js';

let stack: ApiStack;
before(async () => {
  stack = await startApiStack('cli', {});
});
after(async () => {
  await stack.stop();
});

function runCliOnStack(args: string[]) {
  return runCli(args, { env: { FACESHOT_API_URL: stack.baseUrl } });
}

it('imports seed-gray-faces: per-identity counts match the folders, the 3 duplicates are stored once', async () => {
  const { code, stdout, stderr } = await runCliOnStack([
    'import',
    datasetPath('seed-gray-faces'),
    '--dataset',
    'seed',
  ]);
  assert.equal(code, 0, stderr);
  const rows = new Map(
    stdout
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter((cells) => cells.length === 5 && /^\d+$/.test(cells[1] ?? ''))
      .map((cells) => [cells[0], cells.slice(1).map(Number)]),
  );
  const identities = identitiesOf('seed-gray-faces');
  let files = 0;
  for (const identity of identities) {
    const count = photosOf('seed-gray-faces', identity).length;
    files += count;
    const [listed, stored, duplicate, rejected] = rows.get(identity) ?? [];
    assert.equal(listed, count, `${identity}: files`);
    assert.equal(rejected, 0, `${identity}: rejected`);
    const expectedDuplicates = ['kim_hyesoo', 'takeuchi_yuko', 'ueno_juri'].includes(identity) ? 1 : 0;
    assert.equal(duplicate, expectedDuplicates, `${identity}: duplicates`);
    assert.equal(stored, count - expectedDuplicates, `${identity}: stored`);
  }
  assert.deepEqual(rows.get('total'), [files, files - 3, 3, 0]);

  const datasets = await getJson(`${stack.baseUrl}/v1/datasets?name=seed`);
  const id = (datasets.body.datasets as { id: string }[])[0]?.id ?? '';
  const detail = await getJson(`${stack.baseUrl}/v1/datasets/${id}`);
  assert.equal((detail.body.totals as { raw: number }).raw, files - 3);
  let objects = 0;
  for await (const _ of stack.runtime.store.list(`datasets/${id}/raw/`)) objects++;
  assert.equal(objects, files - 3, 'byte-identical photos are stored once');

  // Importing again changes nothing: every photo is now a duplicate.
  const again = await runCliOnStack(['import', datasetPath('seed-gray-faces'), '--dataset', 'seed']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, new RegExp(`total\\s+${files}\\s+0\\s+${files}\\s+0`));
});

it('exits 1 with a clear message when the API is not there', async () => {
  const child = await runCli(['import', datasetPath('orl-att-faces'), '--api', 'http://127.0.0.1:1']);
  assert.equal(child.code, 1);
  assert.match(child.stderr, /cannot reach the API at http:\/\/127\.0\.0\.1:1/);
});
