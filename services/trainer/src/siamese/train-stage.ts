// The train stage: pair files and face records → a trained model, its threshold for the target
// false-accept rate, and its card: both protocols, each beside faceapi-baseline on the same data.

import { type EpochReport, type ModelCard, ModelCardSchema } from '@faceshot/core/datasets/model-card';
import { HyperparametersSchema } from '@faceshot/core/hyperparameters';
import type { PayloadOf, ResultOf } from '@faceshot/core/queues/definitions';
import { PermanentJobError } from '@faceshot/core/queues/permanent-job-error';
import type { StageContext } from '@faceshot/core/queues/stage-worker';
import { parseWithSchema } from '@faceshot/core/schema';
import { storageKeys } from '@faceshot/core/storage/keys';
import type { ObjectStore } from '@faceshot/core/storage/object-store';
import { readStoredDocument } from '@faceshot/core/storage/stored-document';
import { verificationPairs } from '@faceshot/vision/evaluation/recognition-metrics';
import { rocCurve, type ScoredPair } from '@faceshot/vision/evaluation/verification-metrics';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type * as TF from '@tensorflow/tfjs';
import { PairsMetaSchema } from '../pairs/pairs-meta.js';
import { layersModelFiles, modelArtifacts } from './model-artifacts.js';
import { beatsBaselineOverall } from './recognition-protocols.js';
import { trainSeed } from './seed-training.js';
import { embedAll } from './train-faces.js';
import type { Hyperparameters } from './train-siamese.js';
import { trainingFacesSource } from './training-faces-source.js';
import { readDatasetFaces, type TransferHyperparameters, trainTransfer } from './transfer-training.js';

type Tf = typeof TF;

/**
 * The seed's own settings (README, "Training a model"), plus the false-accept rate its threshold is
 * set for.
 */
export const SEED_DEFAULTS = {
  epochs: 50,
  batchSize: 128,
  learningRate: 1e-3,
  margin: 1,
  patience: 10,
  seed: 1,
  targetFar: 0.01,
};

/**
 * The transfer head's settings, measured on lfw-dev and seed-gray-faces (bench/results): P×K batches of
 * 32 people × 4 photos, batch-hard triplet margin, Adam, a light pull towards the identity map.
 */
export const TRANSFER_DEFAULTS: TransferHyperparameters = {
  epochs: 60,
  batchSize: 128,
  learningRate: 1e-3,
  margin: 0.2,
  patience: 10,
  seed: 1,
  targetFar: 0.01,
  identityPull: 0.01,
  folds: 0,
  photosPerPerson: 4,
  minImprovement: 0.01,
};

/**
 * A hyperparameter's schema: the API's (HyperparametersSchema), so a job payload is held to the ranges
 * a request is (a payload may come from a queue client that skipped the API).
 */
function schemaOf(name: keyof TransferHyperparameters): TSchema & { minimum?: number; maximum?: number } {
  return HyperparametersSchema.properties[name];
}

/** The architecture's defaults with the request's overrides, each known to it and checked against its range. */
export function hyperparametersFrom<A extends 'seed' | 'transfer'>(
  architecture: A,
  given: Record<string, number | string | boolean>,
): A extends 'seed' ? Hyperparameters : TransferHyperparameters {
  const result: Record<string, number> = { ...(architecture === 'seed' ? SEED_DEFAULTS : TRANSFER_DEFAULTS) };
  for (const [name, value] of Object.entries(given)) {
    if (!(name in result))
      throw new PermanentJobError(
        `unknown hyperparameter "${name}" for ${architecture} (known: ${Object.keys(result).join(', ')})`,
      );
    const schema = schemaOf(name as keyof TransferHyperparameters);
    if (typeof value !== 'number' || !Value.Check(schema, value)) {
      const kind = schema.type === 'integer' ? 'an integer' : 'a number';
      throw new PermanentJobError(
        `hyperparameter ${name} must be ${kind} from ${schema.minimum} to ${schema.maximum}`,
      );
    }
    result[name] = value;
  }
  return result as unknown as A extends 'seed' ? Hyperparameters : TransferHyperparameters;
}

/** The ROC curve of verification pairs, at most 101 points (enough to plot), as false/true positive rates. */
function sampledRoc(scored: readonly ScoredPair[]): { fpr: number[]; tpr: number[] } {
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
  /** Threads one seed training step is split between (TRAIN_THREADS; WebAssembly only). */
  trainingThreads?: number;
}

/** JSON has no NaN: a figure that could not be measured is written as null. */
const finiteJson = (_: string, value: unknown) =>
  typeof value === 'number' && !Number.isFinite(value) ? null : value;

export function createTrainStage(deps: TrainStageDependencies) {
  return async (payload: PayloadOf<'train'>, context: StageContext): Promise<ResultOf<'train'>> => {
    const { modelId, pairsId, architecture } = payload;
    const started = performance.now();
    const hyper =
      architecture === 'seed'
        ? hyperparametersFrom('seed', payload.hyperparameters)
        : hyperparametersFrom('transfer', payload.hyperparameters);
    const meta = await readStoredDocument(
      deps.store,
      storageKeys.pairsFile(pairsId, 'meta.json'),
      PairsMetaSchema,
    );
    if (meta === undefined) throw new PermanentJobError(`pairs "${pairsId}" do not exist`);
    if (meta.splits.train.count === 0) {
      throw new PermanentJobError('training needs pairs in the train split');
    }
    const { tf, backend } = await deps.loadTensorflow();
    const faces = await readDatasetFaces(deps.store, meta);
    // Before training: faces of two nets are refused now, not after an hour of training.
    const faceKeys = [...new Set(meta.pairs.flatMap((pair) => pair.slice(0, 2) as string[]))];
    const source = await trainingFacesSource(deps.store, faceKeys);
    if (Object.keys(source.counts).length > 1)
      context.log.warn(
        { facesByDetector: source.counts, detector: source.detector },
        'training faces were found by several detectors',
      );
    const checkpointKey = storageKeys.modelFile(modelId, 'checkpoint.json');
    const onEpoch = async (report: EpochReport) => {
      await context.progress({ ...report, epochs: hyper.epochs, architecture });
    };

    let outcome: {
      model: TF.LayersModel;
      split: ModelCard['split'];
      folds?: string[][];
      history: EpochReport[];
      epochs: number;
      threshold: ModelCard['thresholdRule'];
      protocols: ModelCard['protocols'];
      trainingFaces: number;
      throughput: { trainPairsPerSecond?: number; trainFacesPerSecond?: number };
      roc?: { fpr: number[]; tpr: number[] };
      validation?: ModelCard['validation'];
    };
    if (architecture === 'seed') {
      if (meta.splits.validation.count === 0)
        throw new PermanentJobError('training needs pairs in both the train and the validation split');
      const seed = await trainSeed(
        tf,
        deps.store,
        meta,
        faces,
        hyper as Hyperparameters,
        checkpointKey,
        onEpoch,
        context.log,
        deps.trainingThreads ?? 1,
      );
      outcome = {
        ...seed,
        throughput: { trainPairsPerSecond: seed.pairsPerSecond },
        roc: sampledRoc(verificationPairs(seed.testEmbeddings, hyper.seed)),
      };
    } else {
      // Training on descriptors takes seconds to minutes: a retried job starts over.
      const transfer = await trainTransfer(tf, meta, faces, hyper as TransferHyperparameters, onEpoch);
      const test = new Map(
        transfer.split.test.map((identity) => [
          identity,
          [...(faces.training.get(identity) ?? []), ...(faces.heldOut.get(identity) ?? [])].map(
            (face) => face.descriptor,
          ),
        ]),
      );
      outcome = {
        ...transfer,
        throughput: { trainFacesPerSecond: transfer.facesPerSecond },
        ...(test.size > 1
          ? { roc: sampledRoc(verificationPairs(embedAll(tf, transfer.model, test), hyper.seed)) }
          : {}),
      };
    }
    const { model, protocols } = outcome;
    if (!Number.isFinite(outcome.threshold.distance))
      throw new PermanentJobError('no threshold could be measured: the dataset needs more people');

    // Flat figures of the trained model (lists, dashboards, the job's result).
    const metrics: Record<string, number> = {};
    const flat: [keyof ModelCard['protocols'], string, string][] = [
      ['unseenPeople', 'oneShot5Way', 'oneShot5Way'],
      ['unseenPeople', 'oneShotAllWay', 'oneShotAllWay'],
      ['unseenPeople', 'auc', 'testAuc'],
      ['unseenPeople', 'tarAtFar', 'testTarAtFar'],
      ['heldOutPhotos', 'top1', 'heldOutTop1'],
      ['heldOutPhotos', 'tarAtFar', 'heldOutTarAtFar'],
    ];
    for (const [protocol, metric, name] of flat) {
      const value = protocols[protocol].metrics.find((entry) => entry.metric === metric)?.trained.value;
      if (value !== null && value !== undefined && Number.isFinite(value)) metrics[name] = value;
    }
    metrics.unseenPeople = protocols.unseenPeople.people;
    metrics.heldOutPeople = protocols.heldOutPhotos.people;

    const { modelJson, weightsBin } = layersModelFiles(await modelArtifacts(tf, model));
    await deps.store.put(storageKeys.modelFile(modelId, 'weights.bin'), weightsBin, {
      contentType: 'application/octet-stream',
    });
    await deps.store.put(storageKeys.modelFile(modelId, 'model.json'), modelJson, {
      contentType: 'application/json',
    });
    const card: ModelCard = {
      modelId,
      architecture,
      detector: source.detector,
      engine: source.engine,
      embeddingSpace: source.embeddingSpace,
      createdAt: new Date().toISOString(),
      backend,
      hyperparameters: { ...hyper },
      data: {
        datasetId: meta.datasetId,
        pairsId,
        pairs: {
          train: meta.splits.train.count,
          validation: meta.splits.validation.count,
          test: meta.splits.test.count,
        },
        imageShape: meta.imageShape,
        trainingFaces: outcome.trainingFaces,
      },
      split: outcome.split,
      ...(outcome.folds ? { folds: outcome.folds } : {}),
      heldOut: Object.fromEntries(
        Object.entries(meta.heldOut ?? {}).map(([identity, held]) => [
          identity,
          [...held.faces, ...held.missed],
        ]),
      ),
      threshold: outcome.threshold.distance,
      thresholdRule: outcome.threshold,
      protocols,
      beatsBaseline: beatsBaselineOverall([protocols.unseenPeople, protocols.heldOutPhotos]),
      metrics,
      ...(outcome.roc ? { roc: outcome.roc } : {}),
      ...(outcome.validation ? { validation: outcome.validation } : {}),
      timings: {
        totalSeconds: (performance.now() - started) / 1000,
        epochs: outcome.epochs,
        ...outcome.throughput,
      },
      history: outcome.history,
    };
    // The card leaves through its schema: what the API, CLI and web page read is what was written.
    const json = JSON.parse(JSON.stringify(card, finiteJson));
    parseWithSchema(ModelCardSchema, json, 'model card');
    await deps.store.put(
      storageKeys.modelFile(modelId, 'card.json'),
      Buffer.from(JSON.stringify(json, null, 1)),
      {
        contentType: 'application/json',
      },
    );
    await deps.store.deleteMany([checkpointKey]);
    model.dispose();
    return { epochs: outcome.epochs, threshold: card.threshold, metrics };
  };
}
