// Which detector found a model's training faces, and the refusal to train on another engine's descriptors.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { PermanentJobError } from '@faceshot/shared/queues/permanent-job-error';
import { FsObjectStore } from '@faceshot/shared/storage/fs-object-store';
import { trainingDetector } from './training-detector.js';

const root = await mkdtemp(path.join(tmpdir(), 'faceshot-training-detector-'));
after(() => rm(root, { recursive: true, force: true }));
const store = new FsObjectStore(root);

async function face(name: string, fields: Record<string, string>): Promise<string> {
  const record = {
    faceId: name,
    identity: 'ann',
    rawKey: `raw/${name}`,
    outcome: 'face',
    faceCount: 1,
    ...fields,
  };
  await store.put(`datasets/d1/records/ann/${name}.json`, Buffer.from(JSON.stringify(record)));
  return `datasets/d1/gray/ann/${name}.png`;
}

describe('the faces a model trains on', () => {
  it('names the detector most faces came from (records without one: ssd)', async () => {
    const keys = [
      await face('a', { detector: 'blazeface', engine: 'faceapi' }),
      await face('b', { detector: 'blazeface' }),
      await face('c', {}),
    ];
    const { detector, counts } = await trainingDetector(store, keys);
    assert.equal(detector, 'blazeface');
    assert.deepEqual(counts, { blazeface: 2, ssd: 1 });
  });

  it("refuses faces described by another engine than face-api's", async () => {
    const keys = [
      await face('d', { detector: 'blazeface' }),
      await face('e', { engine: 'onnx-mobilefacenet' }),
    ];
    await assert.rejects(
      trainingDetector(store, keys),
      (error: unknown) =>
        error instanceof PermanentJobError &&
        /face e of "ann" was described by onnx-mobilefacenet/.test(error.message),
    );
  });
});
