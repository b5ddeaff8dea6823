// The train stage: pair files and face records → a trained model, its threshold for the target
// false-accept rate, and its card: both protocols, each beside the untouched baseline on the same data.
// This file is the order of things (check the inputs, train the architecture, write the model); each
// step lives in its own module.
import type { EpochReport, ModelCard } from '@faceshot/core/contracts/model-card';
import type { PayloadOf, ResultOf } from '@faceshot/core/queues/definitions';
import { PermanentJobError } from '@faceshot/core/queues/permanent-job-error';
import type { StageContext } from '@faceshot/core/queues/stage-worker';
import { storageKeys } from '@faceshot/core/storage/keys';
import type { ObjectStore } from '@faceshot/core/storage/object-store';
import { readStoredDocument } from '@faceshot/core/storage/stored-document';
import { verificationPairs } from '@faceshot/vision/evaluation/recognition-metrics';
import type * as TF from '@tensorflow/tfjs';
import type { PairsMeta } from '../pairs/pairs-meta.js';
import { PairsMetaSchema } from '../pairs/pairs-meta.js';
import { flatMetrics, sampledRoc, writeTrainedModel } from './model-card-writer.js';
import { beatsBaselineOverall } from './recognition-protocols.js';
import { trainSeed } from './seed-training.js';
import { embedAll } from './train-faces.js';
import type { Hyperparameters } from './train-siamese.js';
import { trainingFacesSource } from './training-faces-source.js';
import { hyperparametersFrom } from './training-hyperparameters.js';
import {
  type DatasetFaces,
  readDatasetFaces,
  type TransferHyperparameters,
  trainTransfer,
} from './transfer-training.js';

export { hyperparametersFrom, SEED_DEFAULTS, TRANSFER_DEFAULTS } from './training-hyperparameters.js';

type Tf = typeof TF;

export interface TrainStageDependencies {
  store: ObjectStore;
  loadTensorflow(): Promise<{ tf: Tf; backend: string }>;
  /** Threads one seed training step is split between (TRAIN_THREADS; WebAssembly only). */
  trainingThreads?: number;
}

/** What either architecture's training gives the card. */
interface TrainingOutcome {
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
}

interface TrainingRun {
  tf: Tf;
  deps: TrainStageDependencies;
  meta: PairsMeta;
  faces: DatasetFaces;
  modelId: string;
  context: StageContext;
  onEpoch(report: EpochReport): Promise<void>;
}

/** The seed network on the grey crops of the pairs (resumes from its checkpoint when retried). */
async function trainSeedModel(run: TrainingRun, hyper: Hyperparameters): Promise<TrainingOutcome> {
  if (run.meta.splits.validation.count === 0)
    throw new PermanentJobError('training needs pairs in both the train and the validation split');
  const seed = await trainSeed(
    run.tf,
    run.deps.store,
    run.meta,
    run.faces,
    hyper,
    storageKeys.modelFile(run.modelId, 'checkpoint.json'),
    run.onEpoch,
    run.context.log,
    run.deps.trainingThreads ?? 1,
  );
  return {
    ...seed,
    throughput: { trainPairsPerSecond: seed.pairsPerSecond },
    roc: sampledRoc(verificationPairs(seed.testEmbeddings, hyper.seed)),
  };
}

/** The transfer head on the face records' descriptors (seconds to minutes: a retried job starts over). */
async function trainTransferModel(
  run: TrainingRun,
  hyper: TransferHyperparameters,
): Promise<TrainingOutcome> {
  const { tf, faces } = run;
  const transfer = await trainTransfer(tf, run.meta, faces, hyper, run.onEpoch);
  const test = new Map(
    transfer.split.test.map((identity) => [
      identity,
      [...(faces.training.get(identity) ?? []), ...(faces.heldOut.get(identity) ?? [])].map(
        (face) => face.descriptor,
      ),
    ]),
  );
  return {
    ...transfer,
    throughput: { trainFacesPerSecond: transfer.facesPerSecond },
    ...(test.size > 1
      ? { roc: sampledRoc(verificationPairs(embedAll(tf, transfer.model, test), hyper.seed)) }
      : {}),
  };
}

export function createTrainStage(deps: TrainStageDependencies) {
  return async (payload: PayloadOf<'train'>, context: StageContext): Promise<ResultOf<'train'>> => {
    const { modelId, pairsId, architecture } = payload;
    const started = performance.now();
    // 1. The inputs, checked before any training: hyperparameters, pairs, faces of one net.
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
    if (meta.splits.train.count === 0) throw new PermanentJobError('training needs pairs in the train split');
    const faces = await readDatasetFaces(deps.store, meta);
    const faceKeys = [...new Set(meta.pairs.flatMap((pair) => pair.slice(0, 2) as string[]))];
    const source = await trainingFacesSource(deps.store, faceKeys);
    if (Object.keys(source.counts).length > 1)
      context.log.warn(
        { facesByDetector: source.counts, detector: source.detector },
        'training faces were found by several detectors',
      );

    // 2. Training.
    const { tf, backend } = await deps.loadTensorflow();
    const run: TrainingRun = {
      tf,
      deps,
      meta,
      faces,
      modelId,
      context,
      onEpoch: (report) => context.progress({ ...report, epochs: hyper.epochs, architecture }),
    };
    const outcome =
      architecture === 'seed'
        ? await trainSeedModel(run, hyper as Hyperparameters)
        : await trainTransferModel(run, hyper as TransferHyperparameters);

    // 3. The model and its card (the network's tensors are released whatever happens).
    try {
      const { protocols } = outcome;
      if (!Number.isFinite(outcome.threshold.distance))
        throw new PermanentJobError('no threshold could be measured: the dataset needs more people');
      const metrics = flatMetrics(protocols);
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
      await writeTrainedModel(tf, deps.store, outcome.model, card);
      return { epochs: outcome.epochs, threshold: card.threshold, metrics };
    } finally {
      outcome.model.dispose();
    }
  };
}
