// Training on faces grouped by person (the transfer head): each step draws P people × K photos and
// applies the batch-hard triplet loss (per anchor, its farthest same-person photo must be closer than
// its nearest other-person photo by a margin), plus a pull towards the identity map. After every epoch
// the validation people are recognised as users would (one-shot all-way, TAR at the target FAR), and
// early stopping keeps the best epoch by that, epoch 0 (the untouched baseline) included.

import type { EpochReport } from '@faceshot/core/contracts/model-card';
import { seededRandom, shuffled } from '@faceshot/core/seeded-random';
import {
  heldOutFigures,
  type Labelled,
  unseenPeopleFigures,
} from '@faceshot/vision/evaluation/recognition-metrics';
import type * as TF from '@tensorflow/tfjs';
import type { Hyperparameters } from './train-siamese.js';
import { distanceFromIdentity } from './transfer-head.js';

type Tf = typeof TF;

/** Descriptors (or any inputs) per person. */
export type FacesByIdentity = ReadonlyMap<string, readonly (readonly number[])[]>;

/** The pair trainer's settings, plus the two only face batches have. */
export interface FaceTrainingOptions extends Hyperparameters {
  /** Weight of the pull back towards the identity map (the untouched baseline). */
  identityPull: number;
  /** Photos per person in a batch. */
  photosPerPerson: number;
  /**
   * How far an epoch's validation score must exceed the untouched baseline's (epoch 0) for a trained
   * epoch to be kept at all. Validation figures move by about this much from epoch to epoch with no
   * gain on people never seen (lfw-dev, 42 validation people: +0.008 on validation came out −0.004
   * one-shot and −0.025 TAR on the 50 test people), so a smaller gain is noise, and the baseline stays.
   */
  minImprovement: number;
}

export interface ValidationFigures {
  score: number;
  oneShotAllWay: number;
  tarAtFar: number;
  auc: number;
}

/**
 * Validation on the trained people's own validation photos (held out of training but not protocol b's
 * test photos): top-1 against their training photos, and TAR at the target FAR with each photo also a
 * stranger to everyone else. The score is the mean of the two.
 */
export function ownPeopleFigures(
  gallery: readonly Labelled[],
  probes: readonly Labelled[],
  targetFar: number,
): ValidationFigures {
  const figures = heldOutFigures(gallery, probes, 0, targetFar);
  const parts = [figures.top1, figures.tarAtFar].filter((value) => Number.isFinite(value));
  return {
    score: parts.length === 0 ? Number.NaN : parts.reduce((sum, value) => sum + value, 0) / parts.length,
    oneShotAllWay: figures.top1,
    tarAtFar: figures.tarAtFar,
    auc: Number.NaN,
  };
}

/** What early stopping watches: the mean of one-shot all-way accuracy and TAR at the target FAR. */
export function validationFigures(
  embeddings: FacesByIdentity,
  targetFar: number,
  seed: number,
): ValidationFigures {
  const figures = unseenPeopleFigures(embeddings, { targetFar, seed, trials: 500 });
  const parts = [figures.oneShotAllWay, figures.tarAtFar].filter((value) => Number.isFinite(value));
  return {
    score: parts.length === 0 ? Number.NaN : parts.reduce((sum, value) => sum + value, 0) / parts.length,
    oneShotAllWay: figures.oneShotAllWay,
    tarAtFar: figures.tarAtFar,
    auc: figures.auc,
  };
}

/** Every face of every person through the model (inference mode). */
export function embedAll(tf: Tf, model: TF.LayersModel, faces: FacesByIdentity): Map<string, number[][]> {
  const out = new Map<string, number[][]>();
  for (const [identity, inputs] of faces) {
    if (inputs.length === 0) continue;
    const values = tf.tidy(() => (model.apply(tf.tensor2d(inputs as number[][])) as TF.Tensor2D).arraySync());
    out.set(identity, values);
  }
  return out;
}

/** Mean over anchors of max(0, margin + d(hardest positive) − d(hardest negative)). */
export function batchHardTripletLoss(
  tf: Tf,
  embeddings: TF.Tensor2D,
  labels: readonly number[],
  margin: number,
): TF.Scalar {
  return tf.tidy(() => {
    const size = labels.length;
    const squaredNorms = tf.sum(tf.square(embeddings), 1, true);
    const squared = tf.add(
      tf.sub(squaredNorms, tf.mul(2, tf.matMul(embeddings, embeddings, false, true))),
      tf.transpose(squaredNorms),
    );
    const distances = tf.sqrt(tf.maximum(squared, 1e-12));
    const same = new Float32Array(size * size);
    for (let i = 0; i < size; i++)
      for (let j = 0; j < size; j++) same[i * size + j] = i !== j && labels[i] === labels[j] ? 1 : 0;
    const different = new Float32Array(size * size);
    for (let i = 0; i < size; i++)
      for (let j = 0; j < size; j++) different[i * size + j] = labels[i] !== labels[j] ? 1 : 0;
    const sameMask = tf.tensor2d(same, [size, size]);
    const differentMask = tf.tensor2d(different, [size, size]);
    const hardestPositive = tf.max(tf.mul(distances, sameMask), 1);
    // Same-person entries get a large offset so min() finds the nearest other person.
    const hardestNegative = tf.min(tf.add(distances, tf.mul(tf.sub(1, differentMask), 1e4)), 1);
    return tf.mean(tf.relu(tf.add(tf.sub(hardestPositive, hardestNegative), margin))) as TF.Scalar;
  });
}

/** One epoch's batches: people shuffled into groups of P, K photos each (repeats only when a person has fewer). */
export function epochBatches(
  faces: FacesByIdentity,
  options: { batchSize: number; photosPerPerson: number },
  random: () => number,
): { inputs: (readonly number[])[]; labels: number[] }[] {
  const people = [...faces.keys()].filter((identity) => (faces.get(identity)?.length ?? 0) >= 2).sort();
  const perPerson = Math.max(2, options.photosPerPerson);
  const peoplePerBatch = Math.max(2, Math.floor(options.batchSize / perPerson));
  const totalFaces = people.reduce((sum, identity) => sum + (faces.get(identity)?.length ?? 0), 0);
  const steps = Math.max(1, Math.ceil(totalFaces / (peoplePerBatch * perPerson)));
  const batches: { inputs: (readonly number[])[]; labels: number[] }[] = [];
  let order = shuffled(people, random);
  let cursor = 0;
  for (let step = 0; step < steps && people.length >= 2; step++) {
    const inputs: (readonly number[])[] = [];
    const labels: number[] = [];
    for (let slot = 0; slot < Math.min(peoplePerBatch, people.length); slot++) {
      if (cursor >= order.length) {
        order = shuffled(people, random);
        cursor = 0;
      }
      const identity = order[cursor++] as string;
      const photos = shuffled(faces.get(identity) ?? [], random);
      for (let index = 0; index < perPerson; index++) {
        inputs.push(photos[index % photos.length] as readonly number[]);
        labels.push(people.indexOf(identity));
      }
    }
    batches.push({ inputs, labels });
  }
  return batches;
}

export interface FaceTrainingResult {
  /** The epoch whose weights the model holds now (0 = the identity map it started as). */
  bestEpoch: number;
  epochs: number;
  history: EpochReport[];
  best: ValidationFigures | undefined;
  /** The validation figures before the first step. */
  start: ValidationFigures | undefined;
  facesPerSecond: number;
}

/**
 * Trains `model` in place. With validation (people never trained on, or a scoring function), early
 * stopping keeps the best epoch; without, it runs exactly `epochs` epochs.
 */
export async function trainOnFaces(
  tf: Tf,
  model: TF.LayersModel,
  train: FacesByIdentity,
  validation: FacesByIdentity | ((model: TF.LayersModel) => ValidationFigures) | undefined,
  options: FaceTrainingOptions,
  onEpoch: (report: EpochReport, improved: boolean) => Promise<void> = async () => undefined,
): Promise<FaceTrainingResult> {
  const optimizer = tf.train.adam(options.learningRate);
  const history: EpochReport[] = [];
  const score = (): ValidationFigures | undefined =>
    validation === undefined
      ? undefined
      : typeof validation === 'function'
        ? validation(model)
        : validationFigures(embedAll(tf, model, validation), options.targetFar, options.seed);
  let best = score();
  // Epoch 0 is the identity map: for the transfer head these are faceapi-baseline's own figures.
  const start = best;
  let bestEpoch = 0;
  let bestWeights = model.getWeights().map((weight) => weight.clone());
  let sinceBest = 0;
  let faces = 0;
  let seconds = 0;
  let epoch = 0;
  for (epoch = 1; epoch <= options.epochs; epoch++) {
    const started = performance.now();
    const random = seededRandom(options.seed * 1000 + epoch);
    let lossSum = 0;
    const batches = epochBatches(train, options, random);
    for (const batch of batches) {
      const loss = optimizer.minimize(() => {
        const output = model.apply(tf.tensor2d(batch.inputs as number[][]), {
          training: true,
        }) as TF.Tensor2D;
        const triplet = batchHardTripletLoss(tf, output, batch.labels, options.margin);
        return options.identityPull > 0
          ? tf.add(triplet, tf.mul(options.identityPull, distanceFromIdentity(tf, model)))
          : triplet;
      }, true);
      lossSum += loss?.dataSync()[0] ?? 0;
      loss?.dispose();
      faces += batch.inputs.length;
      // Let the event loop run between batches: BullMQ renews the job's lock on a timer.
      await new Promise((resolve) => setImmediate(resolve));
    }
    seconds += (performance.now() - started) / 1000;
    const figures = score();
    const report: EpochReport = {
      epoch,
      loss: lossSum / Math.max(1, batches.length),
      ...(figures
        ? {
            valScore: figures.score,
            valOneShotAllWay: Number.isFinite(figures.oneShotAllWay) ? figures.oneShotAllWay : null,
            valTarAtFar: Number.isFinite(figures.tarAtFar) ? figures.tarAtFar : null,
            valAuc: Number.isFinite(figures.auc) ? figures.auc : null,
          }
        : {}),
      seconds: (performance.now() - started) / 1000,
    };
    history.push(report);
    // Strictly better only: on a tie the earlier epoch (nearer the baseline) stays; and better than the
    // baseline by minImprovement at least (a smaller gain is validation noise).
    const improved =
      figures === undefined ||
      (Number.isFinite(figures.score) &&
        !(best !== undefined && best.score >= figures.score) &&
        !(start !== undefined && figures.score < start.score + options.minImprovement));
    if (improved) {
      best = figures;
      bestEpoch = epoch;
      sinceBest = 0;
      for (const weight of bestWeights) weight.dispose();
      bestWeights = model.getWeights().map((weight) => weight.clone());
    } else {
      sinceBest++;
    }
    await onEpoch(report, improved);
    if (validation !== undefined && sinceBest >= options.patience) break;
  }
  model.setWeights(bestWeights);
  for (const weight of bestWeights) weight.dispose();
  optimizer.dispose();
  return {
    bestEpoch,
    epochs: Math.min(epoch, options.epochs),
    history,
    best,
    start,
    facesPerSecond: seconds > 0 ? faces / seconds : 0,
  };
}
