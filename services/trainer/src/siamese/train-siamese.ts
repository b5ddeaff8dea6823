// The seed network's Siamese training loop: batches of pairs, the contrastive loss, RMSprop; after
// every epoch the validation pairs' loss and the validation people's recognition (one-shot all-way,
// TAR at the target FAR); early stopping keeps the weights of the best recognition score.

import type { EpochReport } from '@faceshot/shared/datasets/model-card';
import { seededRandom, shuffled } from '@faceshot/shared/seeded-random';
import { fastTrainingKernelsActive } from '@faceshot/shared/vision/fast-training-kernels';
import type * as TF from '@tensorflow/tfjs';
import { contrastiveLoss, euclideanDistance } from './seed-network.js';
import { trainingForward, trainingForwardSupports } from './training-forward.js';

type Tf = typeof TF;

export interface Hyperparameters {
  epochs: number;
  batchSize: number;
  learningRate: number;
  margin: number;
  patience: number;
  seed: number;
  targetFar: number;
}

export interface PairSet {
  /** Row indices into the pair arrays. */
  rows: number[];
  /** Builds the two input batches for these rows. */
  inputs(rows: number[]): [TF.Tensor, TF.Tensor];
  labels: Uint8Array;
}

/** Recognition figures of the validation people after an epoch (higher score is better). */
export interface EpochScore {
  score: number;
  oneShotAllWay: number;
  tarAtFar: number;
  auc: number;
}

/** Distances of the given rows with the model in inference mode, in batches. */
export function pairDistances(
  tf: Tf,
  model: TF.LayersModel,
  set: PairSet,
  rows: number[],
  batchSize: number,
): number[] {
  const distances: number[] = [];
  for (let start = 0; start < rows.length; start += batchSize) {
    const batch = rows.slice(start, start + batchSize);
    const values = tf.tidy(() => {
      const [a, b] = set.inputs(batch);
      return euclideanDistance(tf, model.apply(a) as TF.Tensor2D, model.apply(b) as TF.Tensor2D).dataSync();
    });
    distances.push(...values);
  }
  return distances;
}

const writtenOut = new WeakMap<TF.LayersModel, boolean>();

/**
 * One optimiser step on these rows of the set: both towers, the contrastive loss; returns the loss.
 * While the fast training kernels are on (WebAssembly), the towers run as one batch through the
 * written-out training pass (training-forward.ts) with dropout masks seeded by `nextSeed`; elsewhere
 * (tfjs-node, GPU) each tower is model.apply, as before.
 */
export function siameseTrainingStep(
  tf: Tf,
  model: TF.LayersModel,
  optimizer: TF.Optimizer,
  set: PairSet,
  batch: number[],
  margin: number,
  nextSeed: () => number,
): number {
  let fast = writtenOut.get(model);
  if (fast === undefined) {
    fast = trainingForwardSupports(model);
    writtenOut.set(model, fast);
  }
  const together = fast && fastTrainingKernelsActive(tf);
  const loss = optimizer.minimize(() => {
    const [a, b] = set.inputs(batch);
    const same = tf.tensor1d(
      Float32Array.from(batch, (row) => set.labels[row] ?? 0),
      'float32',
    );
    let first: TF.Tensor2D;
    let second: TF.Tensor2D;
    if (together) {
      const embeddings = trainingForward(tf, model, tf.concat([a, b], 0), nextSeed);
      [first, second] = tf.split(embeddings, 2, 0) as [TF.Tensor2D, TF.Tensor2D];
    } else {
      first = model.apply(a, { training: true }) as TF.Tensor2D;
      second = model.apply(b, { training: true }) as TF.Tensor2D;
    }
    return contrastiveLoss(tf, same, euclideanDistance(tf, first, second), margin);
  }, true);
  const value = loss?.dataSync()[0] ?? 0;
  loss?.dispose();
  return value;
}

/** 32-bit seeds for dropout masks, reproducible from the run's seed. */
export function dropoutSeeds(seed: number): () => number {
  const random = seededRandom(seed ^ 0x5eed5eed);
  return () => Math.floor(random() * 4294967296);
}

export async function trainSiamese(
  tf: Tf,
  model: TF.LayersModel,
  train: PairSet,
  validation: PairSet,
  hyper: Hyperparameters,
  hooks: {
    startEpoch: number;
    bestScore: number;
    /** The validation people's recognition with the current weights. */
    score(): EpochScore;
    onEpoch(report: EpochReport, improved: boolean): Promise<void>;
  },
): Promise<{ epochs: number; bestScore: number; history: EpochReport[]; pairsPerSecond: number }> {
  const optimizer = tf.train.rmsprop(hyper.learningRate);
  const history: EpochReport[] = [];
  let best = hooks.bestScore;
  let bestWeights = model.getWeights().map((weight) => weight.clone());
  let sinceBest = 0;
  let trainedPairs = 0;
  let trainingSeconds = 0;
  let epoch = hooks.startEpoch;
  for (; epoch < hyper.epochs; epoch++) {
    const started = performance.now();
    const order = shuffled(train.rows, seededRandom(hyper.seed + epoch));
    const nextSeed = dropoutSeeds(hyper.seed + epoch);
    let lossSum = 0;
    for (let start = 0; start < order.length; start += hyper.batchSize) {
      const batch = order.slice(start, start + hyper.batchSize);
      lossSum +=
        siameseTrainingStep(tf, model, optimizer, train, batch, hyper.margin, nextSeed) * batch.length;
      // Let the event loop run between batches: BullMQ renews the job's lock on a timer.
      await new Promise((resolve) => setImmediate(resolve));
    }
    trainedPairs += order.length;
    trainingSeconds += (performance.now() - started) / 1000;
    const distances = pairDistances(tf, model, validation, validation.rows, hyper.batchSize);
    const valLoss = tf.tidy(
      () =>
        contrastiveLoss(
          tf,
          tf.tensor1d(
            validation.rows.map((row) => validation.labels[row] ?? 0),
            'float32',
          ),
          tf.tensor1d(distances),
          hyper.margin,
        ).dataSync()[0] ?? 0,
    );
    const figures = hooks.score();
    const finiteOrNull = (value: number) => (Number.isFinite(value) ? value : null);
    const report: EpochReport = {
      epoch: epoch + 1,
      loss: lossSum / Math.max(1, order.length),
      valLoss,
      valScore: figures.score,
      valOneShotAllWay: finiteOrNull(figures.oneShotAllWay),
      valTarAtFar: finiteOrNull(figures.tarAtFar),
      valAuc: finiteOrNull(figures.auc),
      seconds: (performance.now() - started) / 1000,
    };
    history.push(report);
    const improved = Number.isFinite(figures.score)
      ? figures.score > best
      : best === Number.NEGATIVE_INFINITY;
    if (improved) {
      best = Number.isFinite(figures.score) ? figures.score : best;
      sinceBest = 0;
      for (const weight of bestWeights) weight.dispose();
      bestWeights = model.getWeights().map((weight) => weight.clone());
    } else {
      sinceBest++;
    }
    await hooks.onEpoch(report, improved);
    if (sinceBest >= hyper.patience) {
      epoch++;
      break;
    }
  }
  model.setWeights(bestWeights);
  for (const weight of bestWeights) weight.dispose();
  optimizer.dispose();
  return {
    epochs: epoch,
    bestScore: best,
    history,
    pairsPerSecond: trainingSeconds > 0 ? trainedPairs / trainingSeconds : 0,
  };
}
