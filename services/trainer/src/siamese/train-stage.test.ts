// The train stage on small synthetic datasets (people as clusters): it learns, writes a loadable
// tfjs model and a card with both protocols beside the baseline, keeps held-out photos out of
// training and the gallery, and a retried job resumes from its checkpoint.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import type { Curation, FaceRecord } from '@faceshot/core/contracts/face-record';
import { ModelCardSchema } from '@faceshot/core/contracts/model-card';
import { createLogger } from '@faceshot/core/logger';
import { parseWithSchema } from '@faceshot/core/schema';
import { seededRandom } from '@faceshot/core/seeded-random';
import { FsObjectStore } from '@faceshot/core/storage/fs-object-store';
import { storageKeys } from '@faceshot/core/storage/keys';
import { loadTrainingTensorflow } from '@faceshot/vision/training-tensorflow';
import sharp from 'sharp';
import { createPairsStage, type PairsMeta } from '../pairs/pairs-stage.js';
import { createTrainStage } from './train-stage.js';
import { readDatasetFaces } from './transfer-training.js';

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

const readCard = async (modelId: string) =>
  parseWithSchema(
    ModelCardSchema,
    JSON.parse((await store.get(storageKeys.modelFile(modelId, 'card.json'))).toString()),
    'card',
  );

it('trains the transfer head, writes a loadable model and a card comparing both protocols with the baseline', async () => {
  const stage = createTrainStage({ store, loadTensorflow: loadTrainingTensorflow });
  const result = await stage(
    {
      modelId: 'model_transfer',
      pairsId: 'pairs_t',
      architecture: 'transfer',
      hyperparameters: { epochs: 8, patience: 8 },
    },
    context,
  );
  const card = await readCard('model_transfer');
  assert.equal(card.architecture, 'transfer');
  assert.equal(card.backend, 'wasm');
  // 20 people, 6 of them in the test split: too few for one split, so protocol (a) is cross-validated.
  assert.equal(card.protocols.unseenPeople.folds, card.folds?.length);
  assert.ok((card.folds?.length ?? 0) >= 2);
  assert.deepEqual(card.folds?.flat().sort(), [...card.split.train].sort());
  for (const protocol of [card.protocols.unseenPeople, card.protocols.heldOutPhotos]) {
    assert.ok(protocol.metrics.length >= 2, protocol.protocol);
    for (const metric of protocol.metrics) {
      assert.equal(typeof metric.trained.value, 'number', `${protocol.protocol} ${metric.metric}`);
      assert.equal(typeof metric.baseline.value, 'number', `${protocol.protocol} ${metric.metric} baseline`);
      assert.equal(metric.beatsBaseline, (metric.difference ?? 0) > 0);
    }
  }
  assert.equal(typeof card.protocols.unseenPeople.metrics[0]?.trained.sd, 'number');
  for (const metric of ['oneShotAllWay', 'testAuc', 'testTarAtFar', 'heldOutTop1']) {
    assert.equal(typeof card.metrics[metric], 'number', metric);
  }
  assert.equal(card.thresholdRule.targetFar, 0.01);
  assert.ok(card.threshold > 0 && card.threshold === card.thresholdRule.distance);
  assert.equal(result.threshold, card.threshold);
  assert.equal(typeof card.beatsBaseline, 'boolean');
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
  assert.deepEqual(loaded.outputs[0]?.shape, [null, 128]);
  assert.equal(await store.stat(storageKeys.modelFile('model_transfer', 'checkpoint.json')), undefined);
});

it('never puts a held-out photo into pairs, training or the gallery of protocol (b)', async () => {
  const meta = JSON.parse(
    (await store.get(storageKeys.pairsFile('pairs_t', 'meta.json'))).toString(),
  ) as PairsMeta;
  const held = Object.values(meta.heldOut).flatMap((entry) => entry.faces);
  // 5 photos a person, at most half held out: 2 each.
  assert.equal(held.length, 20 * 2);
  const paired = new Set(
    meta.pairs.flatMap(([a, b]) => [a, b]).map((key) => key.split('/').at(-1)?.replace('.png', '')),
  );
  assert.deepEqual(
    held.filter((faceId) => paired.has(faceId)),
    [],
  );
  const faces = await readDatasetFaces(store, meta);
  const training = new Set([...faces.training.values()].flat().map((face) => face.faceId));
  assert.deepEqual(
    held.filter((faceId) => training.has(faceId)),
    [],
  );
  assert.equal([...faces.heldOut.values()].flat().length, held.length);
  const card = await readCard('model_transfer');
  assert.equal(card.protocols.heldOutPhotos.probes, held.length);
  assert.equal(card.protocols.heldOutPhotos.galleryPhotos, 20 * 5 - held.length);
  assert.deepEqual(Object.values(card.heldOut).flat().sort(), [...held].sort());
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
  const card = await readCard('model_seed');
  assert.equal(card.architecture, 'seed');
  assert.ok((card.timings.trainPairsPerSecond ?? 0) > 0);
  assert.equal(typeof card.metrics.testAuc, 'number');
  assert.equal(card.protocols.unseenPeople.folds, 1);
  assert.equal(card.protocols.heldOutPhotos.people, card.split.train.length);
  assert.equal(typeof card.history[0]?.valScore, 'number');
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
    /epochs must be an integer from 1 to 1000/,
  );
  await assert.rejects(
    stage(
      { modelId: 'm', pairsId: 'pairs_t', architecture: 'transfer', hyperparameters: { epochs: 2.5 } },
      context,
    ),
    /epochs must be an integer from 1 to 1000/,
  );
  await assert.rejects(
    stage(
      { modelId: 'm', pairsId: 'pairs_t', architecture: 'transfer', hyperparameters: { minImprovement: 2 } },
      context,
    ),
    /minImprovement must be a number from 0 to 1/,
  );
  await assert.rejects(
    stage(
      { modelId: 'm', pairsId: 'pairs_t', architecture: 'seed', hyperparameters: { identityPull: 1 } },
      context,
    ),
    /unknown hyperparameter "identityPull" for seed/,
  );
  await assert.rejects(
    stage(
      { modelId: 'm', pairsId: 'pairs_t', architecture: 'transfer', hyperparameters: { dropout: 0.5 } },
      context,
    ),
    /unknown hyperparameter "dropout"/,
  );
});
