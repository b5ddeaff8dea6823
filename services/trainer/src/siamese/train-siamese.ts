// The seed network's Siamese training loop: batches of pairs, the contrastive loss, RMSprop; after
// every epoch the validation pairs' loss and the validation people's recognition (one-shot all-way,
// TAR at the target FAR); early stopping keeps the weights of the best recognition score.

import type { EpochReport } from '@faceshot/shared/datasets/model-card';
import { seededRandom, shuffled } from '@faceshot/shared/seeded-random';
import type * as TF from '@tensorflow/tfjs';
import { contrastiveLoss, euclideanDistance } from './seed-network.js';

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
    let lossSum = 0;
    for (let start = 0; start < order.length; start += hyper.batchSize) {
      const batch = order.slice(start, start + hyper.batchSize);
      const loss = optimizer.minimize(() => {
        const [a, b] = train.inputs(batch);
        const same = tf.tensor1d(
          Array.from(batch, (row) => train.labels[row] ?? 0),
          'float32',
        );
        const distance = euclideanDistance(
          tf,
          model.apply(a, { training: true }) as TF.Tensor2D,
          model.apply(b, { training: true }) as TF.Tensor2D,
        );
        return contrastiveLoss(tf, same, distance, hyper.margin);
      }, true);
      lossSum += (loss?.dataSync()[0] ?? 0) * batch.length;
      loss?.dispose();
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
