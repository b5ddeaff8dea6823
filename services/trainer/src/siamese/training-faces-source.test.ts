// What made a model's training faces: engine, net and detector, and the refusal to mix two nets.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { PermanentJobError } from '@faceshot/core/queues/permanent-job-error';
import { FsObjectStore } from '@faceshot/core/storage/fs-object-store';
import { trainingFacesSource } from './training-faces-source.js';

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
    extractedAt: '2026-11-30T00:00:00.000Z',
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
    const source = await trainingFacesSource(store, keys);
    assert.equal(source.detector, 'blazeface');
    assert.deepEqual(source.counts, { blazeface: 2, ssd: 1 });
    assert.equal(source.engine, 'faceapi');
    assert.equal(source.embeddingSpace, 'faceapi-128');
  });

  it("names an ONNX model's engine, net and detector", async () => {
    const space = 'onnx-mobilefacenet@0123456789abcdef';
    const keys = [
      await face('f', {
        detector: 'onnx-mobilefacenet',
        engine: 'onnx-mobilefacenet',
        embeddingSpace: space,
      }),
      await face('g', {
        detector: 'onnx-mobilefacenet',
        engine: 'onnx-mobilefacenet',
        embeddingSpace: space,
      }),
    ];
    const source = await trainingFacesSource(store, keys);
    assert.deepEqual(source, {
      engine: 'onnx-mobilefacenet',
      embeddingSpace: space,
      detector: 'onnx-mobilefacenet',
      counts: { 'onnx-mobilefacenet': 2 },
    });
  });

  it('refuses faces of two engines, or of two nets of one ONNX model', async () => {
    const mixedEngines = [
      await face('d', { detector: 'blazeface' }),
      await face('e', { engine: 'onnx-mobilefacenet' }),
    ];
    await assert.rejects(
      trainingFacesSource(store, mixedEngines),
      (error: unknown) =>
        error instanceof PermanentJobError &&
        /face e of "ann" was described by onnx-mobilefacenet, face d by faceapi-128/.test(error.message),
    );
    const replacedNet = [
      await face('h', { engine: 'onnx-m', embeddingSpace: 'onnx-m@aaaaaaaaaaaaaaaa' }),
      await face('i', { engine: 'onnx-m', embeddingSpace: 'onnx-m@bbbbbbbbbbbbbbbb' }),
    ];
    await assert.rejects(trainingFacesSource(store, replacedNet), /onnx-m@bbbbbbbbbbbbbbbb/);
  });
});
