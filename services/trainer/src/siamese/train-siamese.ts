// The seed network's Siamese training loop: batches of pairs, the contrastive loss, RMSprop; after
// every epoch the validation pairs' loss and the validation people's recognition (one-shot all-way,
// TAR at the target FAR); early stopping keeps the weights of the best recognition score.

import type { EpochReport } from '@faceshot/core/contracts/model-card';
import { seededRandom, shuffled } from '@faceshot/core/seeded-random';
import { fastTrainingKernelsActive } from '@faceshot/vision/fast-training-kernels';
import type * as TF from '@tensorflow/tfjs';
import { type GradientThread, startGradientThreads } from './gradient-threads.js';
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

/** Whether this step runs both towers as one batch through the written-out pass (fast kernels on). */
export function towersTogether(tf: Tf, model: TF.LayersModel): boolean {
  let supported = writtenOut.get(model);
  if (supported === undefined) {
    supported = trainingForwardSupports(model);
    writtenOut.set(model, supported);
  }
  return supported && fastTrainingKernelsActive(tf);
}

/**
 * The contrastive loss of a batch of pairs in training mode. Together: both towers as one batch
 * through the written-out training pass (training-forward.ts), dropout masks seeded by `nextSeed`;
 * otherwise each tower is model.apply, as before the fast kernels.
 */
export function siameseLoss(
  tf: Tf,
  model: TF.LayersModel,
  inputs: [TF.Tensor, TF.Tensor],
  same: TF.Tensor1D,
  margin: number,
  together: boolean,
  nextSeed: () => number,
): TF.Scalar {
  const [a, b] = inputs;
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
}

const labelsOf = (tf: Tf, set: PairSet, rows: number[]) =>
  tf.tensor1d(
    Float32Array.from(rows, (row) => set.labels[row] ?? 0),
    'float32',
  );

/**
 * One optimiser step on these rows of the set: both towers, the contrastive loss; returns the loss.
 * On the GPU and tfjs-node paths (no fast kernels) this is the step as it always was.
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
  const together = towersTogether(tf, model);
  const loss = optimizer.minimize(
    () => siameseLoss(tf, model, set.inputs(batch), labelsOf(tf, set, batch), margin, together, nextSeed),
    true,
  );
  const value = loss?.dataSync()[0] ?? 0;
  loss?.dispose();
  return value;
}

/**
 * The same step with the batch split between this thread and the gradient threads (data parallel):
 * each computes its part's gradients on the same weights, they are averaged (weighted by part size)
 * and the optimiser applies them here. The contrastive loss is a mean over pairs, so the weighted mean
 * of the parts' gradients is the whole batch's gradient.
 */
export async function siameseTrainingStepInParallel(
  tf: Tf,
  model: TF.LayersModel,
  optimizer: TF.Optimizer,
  set: PairSet,
  batch: number[],
  margin: number,
  nextSeed: () => number,
  threads: readonly GradientThread[],
): Promise<number> {
  const parts = threads.length + 1;
  const size = Math.ceil(batch.length / parts);
  const slices = Array.from({ length: parts }, (_, index) =>
    batch.slice(index * size, (index + 1) * size),
  ).filter((slice) => slice.length > 0);
  const together = towersTogether(tf, model);
  const dropoutLayers = model.layers.filter((layer) => layer.getClassName() === 'Dropout');
  const variables = model.trainableWeights.map((weight) => weight.read() as TF.Variable);
  const weights = variables.map((variable) => variable.dataSync() as Float32Array);
  const remote = slices.slice(1).map((rows, index) => {
    const [a, b] = set.inputs(rows);
    const request = {
      weights,
      inputShape: a.shape,
      a: a.dataSync() as Float32Array,
      b: b.dataSync() as Float32Array,
      labels: Float32Array.from(rows, (row) => set.labels[row] ?? 0),
      margin,
      seeds: dropoutLayers.map(() => nextSeed()),
    };
    tf.dispose([a, b]);
    return (threads[index] as GradientThread).gradients(request);
  });
  const localRows = slices[0] ?? [];
  const local = tf.variableGrads(
    () =>
      siameseLoss(tf, model, set.inputs(localRows), labelsOf(tf, set, localRows), margin, together, nextSeed),
    variables,
  );
  const answers = await Promise.all(remote);
  const share = (rows: number[]) => rows.length / batch.length;
  const averaged = tf.tidy(() => {
    const out: Record<string, TF.Tensor> = {};
    for (const [index, variable] of variables.entries()) {
      let sum = tf.mul(local.grads[variable.name] as TF.Tensor, share(localRows));
      for (const [part, answer] of answers.entries())
        sum = tf.add(
          sum,
          tf.mul(
            tf.tensor(answer.grads[index] as Float32Array, variable.shape),
            share(slices[part + 1] ?? []),
          ),
        );
      out[variable.name] = sum;
    }
    return out;
  });
  optimizer.applyGradients(averaged);
  const loss =
    (local.value.dataSync()[0] ?? 0) * share(localRows) +
    answers.reduce((sum, answer, part) => sum + answer.loss * share(slices[part + 1] ?? []), 0);
  tf.dispose([local.value, ...Object.values(local.grads), ...Object.values(averaged)]);
  return loss;
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
    /**
     * Threads a step's batch is split between (data parallel; 1: this thread only). Used only with
     * the fast training kernels (WebAssembly), where one backend runs on one thread.
     */
    threads?: number;
  },
): Promise<{ epochs: number; bestScore: number; history: EpochReport[]; pairsPerSecond: number }> {
  const helpers =
    (hooks.threads ?? 1) > 1 && towersTogether(tf, model)
      ? startGradientThreads(model, (hooks.threads ?? 1) - 1, true)
      : [];
  try {
    return await trainEpochs(tf, model, train, validation, hyper, hooks, helpers);
  } finally {
    await Promise.all(helpers.map((helper) => helper.close()));
  }
}

async function trainEpochs(
  tf: Tf,
  model: TF.LayersModel,
  train: PairSet,
  validation: PairSet,
  hyper: Hyperparameters,
  hooks: Parameters<typeof trainSiamese>[5],
  helpers: readonly GradientThread[],
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
      const loss =
        helpers.length > 0 && batch.length > helpers.length
          ? await siameseTrainingStepInParallel(
              tf,
              model,
              optimizer,
              train,
              batch,
              hyper.margin,
              nextSeed,
              helpers,
            )
          : siameseTrainingStep(tf, model, optimizer, train, batch, hyper.margin, nextSeed);
      lossSum += loss * batch.length;
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
