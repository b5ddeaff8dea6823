// The face detector end to end through the API: EXTRACT_DETECTOR=ssd drives extraction and the
// baseline model, while a trained model whose card names blazeface is served with blazeface.
// Which detector read a photo shows in its box: ours from BlazeFace is square, SSD's is not.
import assert from 'node:assert/strict';
import { openAsBlob } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { FaceRecord } from '@faceshot/core/contracts/face-record';
import { storageKeys } from '@faceshot/core/storage/keys';
import { readJsonObject } from '@faceshot/core/storage/object-store';
import { extractorStages } from '@faceshot/extractor/stages';
import { predictorStages } from '@faceshot/predictor/stages';
import { layersModelFiles, modelArtifacts } from '@faceshot/trainer/siamese/model-artifacts';
import { loadTrainingTensorflow } from '@faceshot/vision/training-tensorflow';
import { type ApiStack, postJson, startApiStack } from './support/api-stack.js';
import { identitiesOf, photosOf } from './support/datasets.js';
import { waitForJob } from './support/http.js';

const BLAZEFACE_MODEL = 'model_blazefacecard';
type Box = { x: number; y: number; width: number; height: number };

/** A transfer model whose head is the identity (its embeddings are face-api's descriptors). */
async function storeIdentityModel(stack: ApiStack, detector: string): Promise<void> {
  const { tf } = await loadTrainingTensorflow();
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [128], units: 128, useBias: false, kernelInitializer: 'identity' }),
    ],
  });
  const { modelJson, weightsBin } = layersModelFiles(await modelArtifacts(tf, model));
  model.dispose();
  const { store, models } = stack.runtime;
  await store.put(storageKeys.modelFile(BLAZEFACE_MODEL, 'model.json'), modelJson);
  await store.put(storageKeys.modelFile(BLAZEFACE_MODEL, 'weights.bin'), weightsBin);
  const card = { modelId: BLAZEFACE_MODEL, architecture: 'transfer', threshold: 0.6, detector };
  await store.put(storageKeys.modelFile(BLAZEFACE_MODEL, 'card.json'), Buffer.from(JSON.stringify(card)));
  await models.save({
    id: BLAZEFACE_MODEL,
    datasetId: 'none',
    architecture: 'transfer',
    pairsId: 'none',
    pairsJobId: 'none',
    trainJobId: 'none',
    createdAt: new Date().toISOString(),
  });
}

async function post(url: string, file: string, fields: Record<string, string> = {}) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('photo', await openAsBlob(file), 'photo.jpg');
  const response = await fetch(url, { method: 'POST', body: form });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const isSquare = (box: Box) => Math.abs(box.width - box.height) < 0.01;

describe('face detectors through the API', () => {
  let stack: ApiStack;
  const [person, other] = identitiesOf('lfw-dev').filter((name) => photosOf('lfw-dev', name).length >= 2) as [
    string,
    string,
  ];

  before(async () => {
    stack = await startApiStack(
      'detectors',
      { EXTRACT_DETECTOR: 'ssd', EXTRACT_THREADS: '1', PREDICT_THREADS: '1' },
      { extractor: extractorStages, predictor: predictorStages },
    );
    await storeIdentityModel(stack, 'blazeface');
  });
  after(async () => {
    await stack.stop();
  });

  it('EXTRACT_DETECTOR=ssd: extraction records ssd, and faceapi-baseline reads photos with it', async () => {
    const datasetId = String((await postJson(`${stack.baseUrl}/v1/datasets`, { name: 'ssd' })).body.id);
    const form = new FormData();
    const file = photosOf('lfw-dev', person)[0] ?? '';
    form.append('file', await openAsBlob(file), `${person}/a.jpg`);
    const upload = await fetch(`${stack.baseUrl}/v1/datasets/${datasetId}/images`, {
      method: 'POST',
      body: form,
    });
    assert.equal(upload.status, 200);
    const started = await postJson(`${stack.baseUrl}/v1/datasets/${datasetId}/extract`, {});
    const curate = await waitForJob(stack.baseUrl, 'curate', String(started.body.curateJobId), 120_000);
    assert.equal(curate.body.state, 'completed', String(curate.body.failedReason));
    const records: FaceRecord[] = [];
    for await (const object of stack.runtime.store.list(`${storageKeys.datasetPrefix(datasetId)}records/`)) {
      const record = await readJsonObject<FaceRecord>(stack.runtime.store, object.key);
      if (record) records.push(record);
    }
    assert.equal(records.length, 1);
    assert.equal(records[0]?.outcome, 'face');
    assert.equal(records[0]?.detector, 'ssd');
    assert.equal(records[0]?.foundBy, 'ssd');
    assert.ok(records[0]?.box && !isSquare(records[0].box), `SSD's box ${JSON.stringify(records[0]?.box)}`);

    const answer = await post(`${stack.baseUrl}/v1/models/faceapi-baseline/identify?faces=primary`, file);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const box = (answer.body.faces as { box: Box }[])[0]?.box;
    assert.ok(box && !isSquare(box), `faceapi-baseline reads with SSD: ${JSON.stringify(box)}`);
  });

  it('a model whose card names blazeface enrols and identifies with blazeface', async () => {
    const enrolled = await post(
      `${stack.baseUrl}/v1/models/${BLAZEFACE_MODEL}/identities`,
      photosOf('lfw-dev', person)[0] ?? '',
      { identity: person },
    );
    assert.equal(enrolled.status, 201, JSON.stringify(enrolled.body));
    const enrolledOther = await post(
      `${stack.baseUrl}/v1/models/${BLAZEFACE_MODEL}/identities`,
      photosOf('lfw-dev', other)[0] ?? '',
      { identity: other },
    );
    assert.equal(enrolledOther.status, 201, JSON.stringify(enrolledOther.body));
    const answer = await post(
      `${stack.baseUrl}/v1/models/${BLAZEFACE_MODEL}/identify?faces=primary`,
      photosOf('lfw-dev', person)[1] ?? '',
    );
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const face = (answer.body.faces as { box: Box; identity: string }[])[0];
    assert.ok(face && isSquare(face.box), `read with BlazeFace: ${JSON.stringify(face?.box)}`);
    assert.equal(face.identity, person);
  });
});
