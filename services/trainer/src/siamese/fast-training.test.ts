// The seed network trained with the fast training kernels reaches the validation loss the stock
// kernels reach: real grey faces (a seed-gray-faces subset), the same initial weights, batches,
// seed and epochs. The only difference left is the dropout masks (the stock layers draw them from
// Math.random-seeded tf.randomUniform), so the tolerance is set by how far the fast run itself moves
// when only its dropout seed changes. One of the fast runs splits each batch between two threads.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { seededRandom, shuffled } from '@faceshot/core/seeded-random';
import { setFastTrainingKernels } from '@faceshot/vision/fast-training-kernels';
import { loadTrainingTensorflow } from '@faceshot/vision/training-tensorflow';
import type * as TF from '@tensorflow/tfjs';
import sharp from 'sharp';
import { grayBatch } from './gray-batch.js';
import { contrastiveLoss, seedBaseNetwork } from './seed-network.js';
import { type PairSet, pairDistances, trainSiamese } from './train-siamese.js';

const dataset = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../../../shared/datasets/seed-gray-faces',
);
const SIDE = 80;
const TRAIN_PAIRS = 128;
const VALIDATION_PAIRS = 96;
const EPOCHS = 4;
const BATCH = 32;

let tf: typeof TF;
let train: PairSet;
let validation: PairSet;

/** Balanced same/different pairs of these people's faces, seeded. */
function pairsOf(faces: Map<string, Uint8Array[]>, count: number, seed: number): PairSet {
  const random = seededRandom(seed);
  const people = [...faces.keys()];
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
  const left: Uint8Array[] = [];
  const right: Uint8Array[] = [];
  const labels = new Uint8Array(count);
  for (let row = 0; row < count; row++) {
    const person = pick(people);
    const own = faces.get(person) ?? [];
    left.push(pick(own));
    if (row % 2 === 0) {
      labels[row] = 1;
      right.push(pick(own));
    } else {
      right.push(pick(faces.get(pick(people.filter((other) => other !== person))) ?? []));
    }
  }
  return {
    rows: Array.from({ length: count }, (_, row) => row),
    labels,
    inputs: (rows) => [
      grayBatch(
        tf,
        rows.map((row) => left[row]),
        SIDE,
        SIDE,
      ),
      grayBatch(
        tf,
        rows.map((row) => right[row]),
        SIDE,
        SIDE,
      ),
    ],
  };
}

before(async () => {
  tf = (await loadTrainingTensorflow()).tf;
  const people = shuffled(fs.readdirSync(dataset).sort(), seededRandom(3));
  const faces = new Map<string, Uint8Array[]>();
  for (const person of people) {
    const files = fs.readdirSync(path.join(dataset, person)).sort().slice(0, 12);
    const grey: Uint8Array[] = [];
    for (const file of files) {
      const raw = await sharp(path.join(dataset, person, file))
        .greyscale()
        .resize(SIDE, SIDE)
        .extractChannel(0)
        .raw()
        .toBuffer();
      grey.push(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
    }
    faces.set(person, grey);
  }
  // People split: validation people are never trained on, as in the trainer.
  const validationPeople = new Set(people.slice(0, 4));
  const part = (inValidation: boolean) =>
    new Map([...faces].filter(([person]) => validationPeople.has(person) === inValidation));
  train = pairsOf(part(false), TRAIN_PAIRS, 1);
  validation = pairsOf(part(true), VALIDATION_PAIRS, 2);
});
after(() => setFastTrainingKernels(tf, true));

/** Training loss of the first and last epoch and the last validation loss, from these initial weights. */
async function losses(
  initial: TF.Tensor[],
  fast: boolean,
  seed: number,
  threads = 1,
): Promise<{ firstLoss: number; lastLoss: number; valLoss: number }> {
  setFastTrainingKernels(tf, fast);
  const model = seedBaseNetwork(tf, SIDE);
  model.setWeights(initial);
  let calls = 0;
  const result = await trainSiamese(
    tf,
    model,
    train,
    validation,
    {
      epochs: EPOCHS,
      batchSize: BATCH,
      learningRate: 1e-3,
      margin: 1,
      patience: EPOCHS,
      seed,
      targetFar: 0.01,
    },
    {
      startEpoch: 0,
      bestScore: Number.NEGATIVE_INFINITY,
      threads,
      // Every epoch "improves", so the last epoch's weights are the ones measured.
      score: () => ({ score: ++calls, oneShotAllWay: Number.NaN, tarAtFar: Number.NaN, auc: Number.NaN }),
      onEpoch: async () => undefined,
    },
  );
  model.dispose();
  const first = result.history[0];
  const last = result.history.at(-1);
  const valLoss = last?.valLoss;
  assert.ok(first && last && typeof valLoss === 'number' && Number.isFinite(valLoss));
  return { firstLoss: first.loss ?? Number.NaN, lastLoss: last.loss ?? Number.NaN, valLoss };
}

it('reaches the stock kernels’ validation loss on seed-gray-faces (same weights, batches, seed, epochs)', async (t) => {
  const reference = seedBaseNetwork(tf, SIDE);
  // Seeded Glorot-uniform kernels and zero biases (the layers' own initialisers are unseeded).
  const initial = reference.getWeights().map((weight, index) => {
    if (weight.shape.length === 1) return tf.zerosLike(weight);
    const receptive = weight.shape.slice(0, -2).reduce((product, side) => product * side, 1);
    const fanIn = receptive * (weight.shape.at(-2) ?? 1);
    const fanOut = receptive * (weight.shape.at(-1) ?? 1);
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return tf.randomUniform(weight.shape, -limit, limit, 'float32', 100 + index);
  });
  reference.dispose();
  // The untrained loss, to see that training moved it at all.
  setFastTrainingKernels(tf, true);
  const untrained = seedBaseNetwork(tf, SIDE);
  untrained.setWeights(initial);
  const distances = pairDistances(tf, untrained, validation, validation.rows, BATCH);
  const untrainedLoss = tf.tidy(
    () =>
      contrastiveLoss(
        tf,
        tf.tensor1d(Float32Array.from(validation.rows, (row) => validation.labels[row] ?? 0)),
        tf.tensor1d(distances),
      ).dataSync()[0] ?? 0,
  );
  untrained.dispose();

  const stock = await losses(initial, false, 1);
  const fast = [
    await losses(initial, true, 1),
    await losses(initial, true, 2),
    await losses(initial, true, 3),
  ];
  tf.dispose(initial);
  // Both variants learn: the last epoch's training loss is below the first's.
  for (const run of [stock, ...fast])
    assert.ok(run.lastLoss < run.firstLoss, `training loss ${run.firstLoss} → ${run.lastLoss}`);
  const fastValidation = fast.map((run) => run.valLoss);
  const mean = fastValidation.reduce((sum, value) => sum + value, 0) / fastValidation.length;
  const spread = Math.max(...fastValidation) - Math.min(...fastValidation);
  const tolerance = Math.max(2 * spread, 0.05 * untrainedLoss);
  t.diagnostic(
    `validation loss: untrained ${untrainedLoss.toFixed(4)}, stock ${stock.valLoss.toFixed(4)}, fast ${fastValidation.map((value) => value.toFixed(4)).join(' / ')} (dropout seeds 1/2/3, the third split between 2 threads), tolerance ${tolerance.toFixed(4)}`,
  );
  assert.ok(
    Math.abs(stock.valLoss - mean) <= tolerance,
    `validation loss: stock ${stock.valLoss.toFixed(4)}, fast ${fastValidation.map((value) => value.toFixed(4))} (untrained ${untrainedLoss.toFixed(4)}, tolerance ${tolerance.toFixed(4)})`,
  );
});
