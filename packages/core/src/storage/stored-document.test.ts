// Stored documents are checked on the way in: absent → undefined; not JSON, or not the schema → a
// SchemaError naming the key and the first bad field.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import { CurationSchema, FaceRecordSchema } from '../contracts/face-record.js';
import { SchemaError } from '../schema.js';
import { FsObjectStore } from './fs-object-store.js';
import { readStoredDocument } from './stored-document.js';

const root = await mkdtemp(path.join(tmpdir(), 'faceshot-stored-document-'));
after(() => rm(root, { recursive: true, force: true }));
const store = new FsObjectStore(root);

it('reads a valid document, and undefined for a missing one', async () => {
  const record = {
    faceId: 'a',
    identity: 'Ann',
    rawKey: 'datasets/d/raw/Ann/a.jpg',
    outcome: 'face',
    faceCount: 1,
    descriptor: [0.1, 0.2],
    landmarks: [[1, 2]],
    extractedAt: '2026-11-30T00:00:00.000Z',
    fieldOfANewerWriter: true,
  };
  await store.put('datasets/d/records/Ann/a.json', Buffer.from(JSON.stringify(record)));
  assert.deepEqual(
    await readStoredDocument(store, 'datasets/d/records/Ann/a.json', FaceRecordSchema),
    record,
  );
  assert.equal(await readStoredDocument(store, 'datasets/d/curation.json', CurationSchema), undefined);
});

it('names the key and the first bad field of a document that does not match', async () => {
  await store.put(
    'datasets/d/records/Ann/b.json',
    Buffer.from(
      '{"faceId":"b","identity":"Ann","rawKey":"k","outcome":"maybe","faceCount":0,"extractedAt":"x"}',
    ),
  );
  await assert.rejects(
    readStoredDocument(store, 'datasets/d/records/Ann/b.json', FaceRecordSchema),
    (error: unknown) =>
      error instanceof SchemaError &&
      /invalid stored document datasets\/d\/records\/Ann\/b\.json: outcome/.test(error.message),
  );
  await store.put('datasets/d/curation.json', Buffer.from('{"datasetId": "d", "faces": '));
  await assert.rejects(
    readStoredDocument(store, 'datasets/d/curation.json', CurationSchema),
    /invalid stored document datasets\/d\/curation\.json: \(root\) is not JSON/,
  );
});
