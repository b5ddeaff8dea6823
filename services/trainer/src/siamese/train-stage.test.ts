// The train stage on small synthetic datasets (people as clusters): it learns, writes a loadable
// tfjs model and a card with every metric, and a retried job resumes from its checkpoint.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import type { Curation, FaceRecord } from '@faceshot/shared/datasets/face-record';
import { createLogger } from '@faceshot/shared/logger';
import { seededRandom } from '@faceshot/shared/seeded-random';
import { FsObjectStore } from '@faceshot/shared/storage/fs-object-store';
import { storageKeys } from '@faceshot/shared/storage/keys';
import { loadTrainingTensorflow } from '@faceshot/shared/vision/training-tensorflow';
import sharp from 'sharp';
import { createPairsStage } from '../pairs/pairs-stage.js';
import { createTrainStage } from './train-stage.js';

let root: string;
let store: FsObjectStore;
const datasetId = 'ds_train';
const log = createLogger({ level: 'silent', format: 'json' });
const context = {
  jobId: '1',
  attempt: 1,
  log,
  progress: async () => undefined,
  childrenFirst: async () => undefined,
};

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'faceshot-train-'));
  store = new FsObjectStore(root);
  const random = seededRandom(11);
  const curation: Curation = {
    datasetId,
    curatedAt: '',
    params: {
      keepPerIdentity: 20,
      wrongPersonDistance: 0.6,
      clusterDistance: 0.55,
      minScore: 0.5,
      minFacePixels: 32,
    },
    faces: {},
  };
  for (let person = 0; person < 20; person++) {
    const identity = `p${person}`;
    const centre = Array.from({ length: 128 }, () => random() - 0.5);
    // A person's grey face: a fixed pattern of stripes; photos differ by noise.
    const angle = (person / 20) * Math.PI;
    for (let photo = 0; photo < 5; photo++) {
      const faceId = createHash('sha256').update(`${person}-${photo}`).digest('hex');
      const pixels = Buffer.alloc(80 * 80);
      for (let y = 0; y < 80; y++) {
        for (let x = 0; x < 80; x++) {
          const stripe = Math.sin((x * Math.cos(angle) + y * Math.sin(angle)) / (2 + (person % 4)));
          pixels[y * 80 + x] = Math.max(0, Math.min(255, 128 + 100 * stripe + (random() - 0.5) * 60));
        }
      }
      const grayKey = storageKeys.gray(datasetId, identity, faceId);
      await store.put(
        grayKey,
        await sharp(pixels, { raw: { width: 80, height: 80, channels: 1 } })
          .toColourspace('b-w')
          .png()
          .toBuffer(),
      );
      const record: FaceRecord = {
        faceId,
        identity,
        rawKey: 'raw',
        outcome: 'face',
        faceCount: 1,
        descriptor: centre.map((value) => value * 0.6 + (random() - 0.5) * 0.12),
        extractedAt: '',
      };
      await store.put(
        storageKeys.faceRecord(datasetId, identity, faceId),
        Buffer.from(JSON.stringify(record)),
      );
      curation.faces[faceId] = { identity, status: 'kept' };
    }
  }
  await store.put(storageKeys.curation(datasetId), Buffer.from(JSON.stringify(curation)));
  await createPairsStage({ store, graySize: 80 })(
    { datasetId, pairsId: 'pairs_t', seed: 3, pairsPerClass: 150, validationShare: 0.2, testShare: 0.3 },
    context,
  );
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

interface Card {
  architecture: string;
  backend: string;
  threshold: number;
  metrics: Record<string, number>;
  timings: { epochs: number; trainPairsPerSecond: number };
  history: { epoch: number }[];
  roc: { fpr: number[]; tpr: number[] };
}

it('trains the transfer head, writes a loadable model and a card with every metric', async () => {
  const stage = createTrainStage({ store, loadTensorflow: loadTrainingTensorflow });
  const result = await stage(
    {
      modelId: 'model_transfer',
      pairsId: 'pairs_t',
      architecture: 'transfer',
      hyperparameters: { epochs: 15, patience: 15 },
    },
    context,
  );
  const card = JSON.parse(
    (await store.get(storageKeys.modelFile('model_transfer', 'card.json'))).toString(),
  ) as Card;
  assert.equal(card.architecture, 'transfer');
  assert.equal(card.backend, 'wasm');
  for (const metric of ['validationAccuracy', 'testAuc', 'testAccuracy', 'oneShot5Way', 'oneShotAllWay']) {
    assert.equal(typeof card.metrics[metric], 'number', metric);
  }
  assert.equal(card.metrics.oneShotTrials, 1000);
  assert.ok((card.metrics.testEer ?? 1) < 0.5);
  // The ROC curve for plotting: from (0, 0) to (1, 1), never decreasing, at most 101 points.
  assert.equal(card.roc.fpr.length, card.roc.tpr.length);
  assert.ok(card.roc.fpr.length > 2 && card.roc.fpr.length <= 101);
  assert.deepEqual([card.roc.fpr[0], card.roc.tpr[0]], [0, 0]);
  assert.deepEqual([card.roc.fpr.at(-1), card.roc.tpr.at(-1)], [1, 1]);
  assert.ok(card.roc.tpr.every((value, index) => index === 0 || value >= (card.roc.tpr[index - 1] ?? 0)));
  assert.ok((card.metrics.testAuc ?? 0) > 0.9, `test AUC ${card.metrics.testAuc}`);
  assert.equal(result.threshold, card.threshold);
  const { tf } = await loadTrainingTensorflow();
  const modelJson = JSON.parse(
    (await store.get(storageKeys.modelFile('model_transfer', 'model.json'))).toString(),
  );
  const weights = await store.get(storageKeys.modelFile('model_transfer', 'weights.bin'));
  const loaded = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest[0].weights,
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
  );
  assert.deepEqual(loaded.outputs[0]?.shape, [null, 64]);
  assert.equal(await store.stat(storageKeys.modelFile('model_transfer', 'checkpoint.json')), undefined);
});

it('trains the seed network on grey faces and resumes a retried job from its checkpoint', async () => {
  const stage = createTrainStage({ store, loadTensorflow: loadTrainingTensorflow });
  const payload = {
    modelId: 'model_seed',
    pairsId: 'pairs_t',
    architecture: 'seed' as const,
    hyperparameters: { epochs: 4, patience: 4, batchSize: 32 },
  };
  // First attempt dies after its second epoch (as if the worker were killed).
  const dying = {
    ...context,
    progress: async (value: number | Record<string, unknown>) => {
      if (typeof value === 'object' && value.epoch === 2) throw new Error('worker killed');
    },
  };
  await assert.rejects(stage(payload, dying), /worker killed/);
  assert.ok(
    await store.stat(storageKeys.modelFile('model_seed', 'checkpoint.json')),
    'a checkpoint was written',
  );
  const epochs: number[] = [];
  await stage(payload, {
    ...context,
    progress: async (value) => {
      if (typeof value === 'object' && typeof value.epoch === 'number') epochs.push(value.epoch);
    },
  });
  assert.ok((epochs[0] ?? 0) >= 2, `the retry started at epoch ${epochs[0]}, not from scratch`);
  const card = JSON.parse(
    (await store.get(storageKeys.modelFile('model_seed', 'card.json'))).toString(),
  ) as Card;
  assert.equal(card.architecture, 'seed');
  assert.ok(card.timings.trainPairsPerSecond > 0);
  assert.equal(typeof card.metrics.testAuc, 'number');
});

it('refuses unknown pairs and bad hyperparameters without retrying', async () => {
  const stage = createTrainStage({ store, loadTensorflow: loadTrainingTensorflow });
  await assert.rejects(
    stage({ modelId: 'm', pairsId: 'nope', architecture: 'transfer', hyperparameters: {} }, context),
    /pairs "nope" do not exist/,
  );
  await assert.rejects(
    stage(
      { modelId: 'm', pairsId: 'pairs_t', architecture: 'transfer', hyperparameters: { epochs: 0 } },
      context,
    ),
    /epochs must be a number from 1 to 1000/,
  );
  await assert.rejects(
    stage(
      { modelId: 'm', pairsId: 'pairs_t', architecture: 'transfer', hyperparameters: { dropout: 0.5 } },
      context,
    ),
    /unknown hyperparameter "dropout"/,
  );
});
