import assert from 'node:assert/strict';
import { it } from 'node:test';
import { queueSchemas } from './queues/definitions.js';
import { parseWithSchema, SchemaError } from './schema.js';

it('names the first bad field in a payload', () => {
  const payload = { datasetId: 'ds1', identity: 'iu', source: { kind: 'url', url: 'ftp://x' } };
  assert.throws(
    () => parseWithSchema(queueSchemas.download.payload, payload, 'download job payload'),
    (error: unknown) =>
      error instanceof SchemaError &&
      error.field === 'source' &&
      /download job payload: source/.test(error.message),
  );
  assert.throws(
    () =>
      parseWithSchema(queueSchemas.extract.payload, { datasetId: 'ds1', identity: 'iu', rawKey: 'k' }, 'x'),
    (error: unknown) => error instanceof SchemaError && error.field === 'sha256',
  );
  const valid = { datasetId: 'ds1', keepPerIdentity: 20 };
  assert.deepEqual(parseWithSchema(queueSchemas.curate.payload, valid, 'curate job payload'), valid);
});
