// The train stage: pair files → a trained Siamese model with its threshold, test metrics and card.

import type { FaceRecord } from '@faceshot/shared/datasets/face-record';
import {
  accuracyAt,
  bestThreshold,
  equalErrorRate,
  oneShotAccuracy,
  rocAuc,
  rocCurve,
} from '@faceshot/shared/evaluation/verification-metrics';
import { npyValues, readNpy } from '@faceshot/shared/numpy/npy';
import type { PayloadOf, ResultOf } from '@faceshot/shared/queues/definitions';
import { PermanentJobError } from '@faceshot/shared/queues/permanent-job-error';
import type { StageContext } from '@faceshot/shared/queues/stage-worker';
import { storageKeys } from '@faceshot/shared/storage/keys';
import { type ObjectStore, readJsonObject } from '@faceshot/shared/storage/object-store';
import type * as TF from '@tensorflow/tfjs';
import type { PairsMeta } from '../pairs/pairs-stage.js';
import { artifactsToJson, layersModelFiles, modelArtifacts, modelFromJson } from './model-artifacts.js';
import { seedBaseNetwork } from './seed-network.js';
import {
  type EpochReport,
  type Hyperparameters,
  type PairSet,
  pairDistances,
  trainSiamese,
} from './train-siamese.js';
import { trainingDetector } from './training-detector.js';
import { DESCRIPTOR_SIZE, transferHead } from './transfer-head.js';

type Tf = typeof TF;

export const DEFAULT_HYPERPARAMETERS: Hyperparameters = {
  epochs: 50,
  batchSize: 128,
  learningRate: 1e-3,
  margin: 1,
  patience: 10,
  seed: 1,
};

const LIMITS: Record<keyof Hyperparameters, [number, number]> = {
  epochs: [1, 1000],
  batchSize: [1, 4096],
  learningRate: [1e-7, 1],
  margin: [0.01, 100],
  patience: [1, 1000],
  seed: [0, 2 ** 31],
};

/** The defaults with the request's overrides, each checked against its range. */
export function hyperparametersFrom(given: Record<string, number | string | boolean>): Hyperparameters {
  const result = { ...DEFAULT_HYPERPARAMETERS };
  for (const [name, value] of Object.entries(given)) {
    if (!(name in LIMITS))
      throw new PermanentJobError(
        `unknown hyperparameter "${name}" (known: ${Object.keys(LIMITS).join(', ')})`,
      );
    const [min, max] = LIMITS[name as keyof Hyperparameters];
    if (typeof value !== 'number' || !(value >= min && value <= max)) {
      throw new PermanentJobError(`hyperparameter ${name} must be a number from ${min} to ${max}`);
    }
    result[name as keyof Hyperparameters] = value;
  }
  return result;
}

const identityOfKey = (key: string) => key.split('/')[3] ?? '';
const rowsOf = (meta: PairsMeta, split: 'train' | 'validation' | 'test') =>
  Array.from({ length: meta.splits[split].count }, (_, index) => meta.splits[split].start + index);

interface Inputs {
  model: TF.LayersModel;
  /** An input tensor for the given face keys. */
  batchOf(keys: string[]): TF.Tensor;
}

async function seedInputs(tf: Tf, store: ObjectStore, meta: PairsMeta): Promise<Inputs> {
  const x1 = readNpy(await store.get(storageKeys.pairsFile(meta.pairsId, 'x1.npy')));
  const x2 = readNpy(await store.get(storageKeys.pairsFile(meta.pairsId, 'x2.npy')));
  const [height, width] = meta.imageShape;
  const size = height * width;
  // Each face's pixels, found once in x1 or x2.
  const pixels = new Map<string, Buffer>();
  meta.pairs.forEach(([a, b], row) => {
    if (!pixels.has(a)) pixels.set(a, x1.data.subarray(row * size, (row + 1) * size));
    if (!pixels.has(b)) pixels.set(b, x2.data.subarray(row * size, (row + 1) * size));
  });
  return {
    model: seedBaseNetwork(tf, height),
    batchOf: (keys) => {
      const values = new Float32Array(keys.length * size);
      keys.forEach((key, index) => {
        const face = pixels.get(key) as Buffer;
        for (let offset = 0; offset < size; offset++)
          values[index * size + offset] = (face[offset] ?? 0) / 255;
      });
      return tf.tensor4d(values, [keys.length, height, width, 1]);
    },
  };
}

async function transferInputs(tf: Tf, store: ObjectStore, meta: PairsMeta): Promise<Inputs> {
  const descriptors = new Map<string, number[]>();
  for (const key of new Set(meta.pairs.flatMap(([a, b]) => [a, b]))) {
    const record = await readJsonObject<FaceRecord>(
      store,
      key.replace('/gray/', '/records/').replace(/\.png$/, '.json'),
    );
    if (record?.descriptor?.length !== DESCRIPTOR_SIZE)
      throw new PermanentJobError(`face ${key} has no descriptor record`);
    descriptors.set(key, record.descriptor);
  }
  return {
    model: transferHead(tf),
    batchOf: (keys) =>
      tf.tensor2d(
        keys.map((key) => descriptors.get(key) as number[]),
        [keys.length, DESCRIPTOR_SIZE],
      ),
  };
}

/** The test pairs' ROC curve, at most 101 points (enough to plot), as false/true positive rates. */
function sampledRoc(scored: { distance: number; same: boolean }[]): { fpr: number[]; tpr: number[] } {
  const curve = rocCurve(scored);
  const indexes = new Set(
    Array.from({ length: Math.min(101, curve.length) }, (_, step) =>
      Math.round((step * (curve.length - 1)) / Math.max(1, Math.min(100, curve.length - 1))),
    ),
  );
  const picked = [...indexes].map((index) => curve[index]).filter((point) => point !== undefined);
  const round = (value: number) => Math.round(value * 10_000) / 10_000;
  return {
    fpr: picked.map((point) => round(point.falsePositiveRate)),
    tpr: picked.map((point) => round(point.truePositiveRate)),
  };
}

export interface TrainStageDependencies {
  store: ObjectStore;
  loadTensorflow(): Promise<{ tf: Tf; backend: string }>;
}

export function createTrainStage(deps: TrainStageDependencies) {
  return async (payload: PayloadOf<'train'>, context: StageContext): Promise<ResultOf<'train'>> => {
    const { modelId, pairsId, architecture } = payload;
    const started = performance.now();
    const { tf, backend } = await deps.loadTensorflow();
    const hyper = hyperparametersFrom(payload.hyperparameters);
    const meta = await readJsonObject<PairsMeta>(deps.store, storageKeys.pairsFile(pairsId, 'meta.json'));
    if (meta === undefined) throw new PermanentJobError(`pairs "${pairsId}" do not exist`);
    if (meta.splits.train.count === 0 || meta.splits.validation.count === 0) {
      throw new PermanentJobError('training needs pairs in both the train and the validation split');
    }
    const labels = Uint8Array.from(
      npyValues(readNpy(await deps.store.get(storageKeys.pairsFile(pairsId, 'y.npy')))),
    );
    const inputs =
      architecture === 'seed'
        ? await seedInputs(tf, deps.store, meta)
        : await transferInputs(tf, deps.store, meta);
    const set = (split: 'train' | 'validation' | 'test'): PairSet => ({
      rows: rowsOf(meta, split),
      labels,
      inputs: (rows) => [
        inputs.batchOf(rows.map((row) => meta.pairs[row]?.[0] ?? '')),
        inputs.batchOf(rows.map((row) => meta.pairs[row]?.[1] ?? '')),
      ],
    });

    // A retried job (its worker died) resumes from the last checkpoint instead of starting over.
    const checkpointKey = storageKeys.modelFile(modelId, 'checkpoint.json');
    const checkpoint = await readJsonObject<{
      epoch: number;
      bestValLoss: number;
      history: EpochReport[];
      model: Parameters<typeof modelFromJson>[1];
    }>(deps.store, checkpointKey);
    let model = inputs.model;
    if (checkpoint !== undefined) {
      model.dispose();
      model = await modelFromJson(tf, checkpoint.model);
      context.log.info({ epoch: checkpoint.epoch }, 'resuming from checkpoint');
    }
    const history: EpochReport[] = [...(checkpoint?.history ?? [])];
    const training = await trainSiamese(tf, model, set('train'), set('validation'), hyper, {
      startEpoch: checkpoint?.epoch ?? 0,
      bestValLoss: checkpoint?.bestValLoss ?? Number.POSITIVE_INFINITY,
      onEpoch: async (report, improved) => {
        history.push(report);
        await context.progress({ ...report, epochs: hyper.epochs, architecture });
        if (improved) {
          const saved = {
            epoch: report.epoch,
            bestValLoss: report.valLoss,
            history,
            model: artifactsToJson(await modelArtifacts(tf, model)),
          };
          await deps.store.put(checkpointKey, Buffer.from(JSON.stringify(saved)), {
            contentType: 'application/json',
          });
        }
      },
    });

    // The threshold that best separates validation pairs; then honest numbers on unseen people.
    const validation = set('validation');
    const validationDistances = pairDistances(tf, model, validation, validation.rows, hyper.batchSize);
    const chosen = bestThreshold(
      validation.rows.map((row, index) => ({
        distance: validationDistances[index] ?? 0,
        same: labels[row] === 1,
      })),
    );
    const test = set('test');
    const testDistances = pairDistances(tf, model, test, test.rows, hyper.batchSize);
    const testScored = test.rows.map((row, index) => ({
      distance: testDistances[index] ?? 0,
      same: labels[row] === 1,
    }));
    const testFaces = new Map<string, string[]>();
    for (const row of test.rows) {
      for (const key of (meta.pairs[row] ?? []).slice(0, 2) as string[]) {
        const list = testFaces.get(identityOfKey(key)) ?? [];
        if (!list.includes(key)) list.push(key);
        testFaces.set(identityOfKey(key), list);
      }
    }
    const embeddings = new Map<string, number[][]>();
    for (const [identity, keys] of testFaces) {
      const values = tf.tidy(() => (model.apply(inputs.batchOf(keys)) as TF.Tensor2D).arraySync());
      embeddings.set(identity, values);
    }
    const oneShot5 = oneShotAccuracy(embeddings, 5, 1000, hyper.seed);
    const oneShotAll = oneShotAccuracy(embeddings, 'all', 1000, hyper.seed);
    const metrics: Record<string, number> = {
      validationAccuracy: chosen.accuracy,
      testAuc: rocAuc(testScored),
      testEer: equalErrorRate(testScored),
      testAccuracy: accuracyAt(testScored, chosen.threshold),
      oneShot5Way: oneShot5.accuracy,
      oneShotAllWay: oneShotAll.accuracy,
      oneShotAllWays: oneShotAll.ways,
    };
    const finite = Object.fromEntries(Object.entries(metrics).filter(([, value]) => Number.isFinite(value)));

    const { modelJson, weightsBin } = layersModelFiles(await modelArtifacts(tf, model));
    await deps.store.put(storageKeys.modelFile(modelId, 'weights.bin'), weightsBin, {
      contentType: 'application/octet-stream',
    });
    await deps.store.put(storageKeys.modelFile(modelId, 'model.json'), modelJson, {
      contentType: 'application/json',
    });
    const faceKeys = [...new Set(meta.pairs.flatMap((pair) => pair.slice(0, 2) as string[]))];
    const { detector, counts: facesByDetector } = await trainingDetector(deps.store, faceKeys);
    if (Object.keys(facesByDetector).length > 1)
      context.log.warn({ facesByDetector, detector }, 'training faces were found by several detectors');
    const card = {
      modelId,
      architecture,
      /** The face detector the predictor reads query photos with (the one that found these faces). */
      detector,
      createdAt: new Date().toISOString(),
      backend,
      hyperparameters: hyper,
      data: {
        datasetId: meta.datasetId,
        pairsId,
        pairs: {
          train: meta.splits.train.count,
          validation: meta.splits.validation.count,
          test: meta.splits.test.count,
        },
        imageShape: meta.imageShape,
      },
      split: {
        train: meta.splits.train.identities,
        validation: meta.splits.validation.identities,
        test: meta.splits.test.identities,
      },
      threshold: chosen.threshold,
      metrics: { ...metrics, oneShotTrials: oneShot5.trials },
      roc: sampledRoc(testScored),
      timings: {
        totalSeconds: (performance.now() - started) / 1000,
        epochs: training.epochs,
        trainPairsPerSecond: training.pairsPerSecond,
      },
      history,
    };
    await deps.store.put(
      storageKeys.modelFile(modelId, 'card.json'),
      Buffer.from(
        JSON.stringify(
          card,
          (_, value) => (typeof value === 'number' && !Number.isFinite(value) ? null : value),
          1,
        ),
      ),
      {
        contentType: 'application/json',
      },
    );
    await deps.store.deleteMany([checkpointKey]);
    model.dispose();
    return { epochs: training.epochs, threshold: chosen.threshold, metrics: finite };
  };
}
