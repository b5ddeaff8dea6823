// Data-parallel steps: a batch split between this thread and a gradient thread moves the weights as
// the whole batch on one thread does (a model without dropout, so both see the same function).
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { setFastTrainingKernels } from '@faceshot/vision/fast-training-kernels';
import { loadTrainingTensorflow } from '@faceshot/vision/training-tensorflow';
import type * as TF from '@tensorflow/tfjs';
import { type GradientThread, startGradientThreads } from './gradient-threads.js';
import {
  dropoutSeeds,
  type PairSet,
  siameseTrainingStep,
  siameseTrainingStepInParallel,
} from './train-siamese.js';

let tf: typeof TF;
let threads: GradientThread[] = [];

before(async () => {
  tf = (await loadTrainingTensorflow()).tf;
  setFastTrainingKernels(tf, true);
});
after(async () => {
  await Promise.all(threads.map((thread) => thread.close()));
});

/** A small CNN of the seed network's layer types, without dropout. */
function network(): TF.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [12, 12, 1], filters: 3, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 8, activation: 'relu' }),
      tf.layers.dense({ units: 4 }),
    ],
  });
}

function pairs(count: number): PairSet {
  const faces = tf.randomUniform([2 * count, 12, 12, 1], 0, 1, 'float32', 21);
  const values = faces.dataSync();
  faces.dispose();
  const face = (index: number) => values.subarray(index * 144, (index + 1) * 144);
  const batchOf = (indexes: number[]) => {
    const out = new Float32Array(indexes.length * 144);
    for (const [position, index] of indexes.entries()) out.set(face(index), position * 144);
    return tf.tensor4d(out, [indexes.length, 12, 12, 1]);
  };
  return {
    rows: Array.from({ length: count }, (_, row) => row),
    labels: Uint8Array.from({ length: count }, (_, row) => row % 2),
    inputs: (rows) => [batchOf(rows.map((row) => 2 * row)), batchOf(rows.map((row) => 2 * row + 1))],
  };
}

it('a step split between two threads moves the weights as one thread does', async () => {
  const set = pairs(10);
  const single = network();
  const split = network();
  split.setWeights(single.getWeights());
  threads = startGradientThreads(split, 1, true);
  const optimizerSingle = tf.train.rmsprop(0.01);
  const optimizerSplit = tf.train.rmsprop(0.01);
  for (let step = 0; step < 3; step++) {
    const lossSingle = siameseTrainingStep(tf, single, optimizerSingle, set, set.rows, 1, dropoutSeeds(1));
    const lossSplit = await siameseTrainingStepInParallel(
      tf,
      split,
      optimizerSplit,
      set,
      set.rows,
      1,
      dropoutSeeds(1),
      threads,
    );
    assert.ok(Math.abs(lossSingle - lossSplit) < 1e-5, `step ${step}: loss ${lossSingle} vs ${lossSplit}`);
  }
  const expected = single.getWeights().map((weight) => weight.dataSync());
  const actual = split.getWeights().map((weight) => weight.dataSync());
  for (const [index, values] of expected.entries())
    for (const [element, value] of values.entries())
      assert.ok(
        Math.abs(value - (actual[index]?.[element] ?? Number.NaN)) < 1e-4,
        `weight ${index}[${element}]: ${value} vs ${actual[index]?.[element]}`,
      );
  single.dispose();
  split.dispose();
});

it('a thread that cannot compute fails the step with its reason', async () => {
  const set = pairs(4);
  const model = tf.sequential({
    layers: [tf.layers.flatten({ inputShape: [12, 12, 1] }), tf.layers.dense({ units: 2 })],
  });
  const [thread] = startGradientThreads(model, 1, true);
  threads.push(thread as GradientThread);
  const answer = (thread as GradientThread).gradients({
    weights: [new Float32Array(3)],
    inputShape: [2, 12, 12, 1],
    a: new Float32Array(2 * 144),
    b: new Float32Array(2 * 144),
    labels: new Float32Array(2),
    margin: 1,
    seeds: [],
  });
  await assert.rejects(answer, /expected 2 weights, got 1/);
  const optimizer = tf.train.rmsprop(0.01);
  assert.ok(Number.isFinite(siameseTrainingStep(tf, model, optimizer, set, set.rows, 1, dropoutSeeds(1))));
  model.dispose();
});
