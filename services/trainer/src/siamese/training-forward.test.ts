// The written-out training pass against the layers' own: same outputs and same gradients without
// dropout, dropout masks with the layer's rate and scale.
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { loadTrainingTensorflow } from '@faceshot/vision/training-tensorflow';
import type * as TF from '@tensorflow/tfjs';
import { seedBaseNetwork } from './seed-network.js';
import { dropoutMask, trainingForward, trainingForwardSupports } from './training-forward.js';
import { transferHead } from './transfer-head.js';

let tf: typeof TF;
before(async () => {
  tf = (await loadTrainingTensorflow()).tf;
});

function assertClose(
  actual: Float32Array | Int32Array | Uint8Array,
  expected: Float32Array | Int32Array | Uint8Array,
  tolerance: number,
  what: string,
) {
  assert.equal(actual.length, expected.length, `${what}: sizes differ`);
  let scale = 0;
  for (const value of expected) scale = Math.max(scale, Math.abs(value));
  for (let index = 0; index < actual.length; index++)
    assert.ok(
      Math.abs((actual[index] ?? 0) - (expected[index] ?? 0)) <= tolerance * Math.max(1, scale),
      `${what}, element ${index}: ${actual[index]} vs ${expected[index]}`,
    );
}

it('gives the layers’ output and gradients when dropout is off (seed network, 24 px input)', () => {
  const model = seedBaseNetwork(tf, 24);
  assert.ok(trainingForwardSupports(model));
  const x = tf.randomUniform([6, 24, 24, 1], 0, 1, 'float32', 11);
  const expected = (model.predict(x) as TF.Tensor).dataSync();
  const actual = tf.tidy(() => trainingForward(tf, model, x, null).dataSync());
  assertClose(actual, expected, 1e-5, 'output');
  const variables = model.trainableWeights.map((weight) => weight.read() as TF.Variable);
  const loss = (forward: () => TF.Tensor) => () => tf.sum(tf.square(forward())) as TF.Scalar;
  const layersGradients = tf.variableGrads(
    loss(() => model.apply(x, { training: false }) as TF.Tensor),
    variables,
  );
  const ourGradients = tf.variableGrads(
    loss(() => trainingForward(tf, model, x, null)),
    variables,
  );
  for (const variable of variables)
    assertClose(
      ourGradients.grads[variable.name]?.dataSync() ?? new Float32Array(),
      layersGradients.grads[variable.name]?.dataSync() ?? new Float32Array(1),
      1e-4,
      `gradient of ${variable.name}`,
    );
  tf.dispose([
    x,
    layersGradients.value,
    ourGradients.value,
    ...Object.values(layersGradients.grads),
    ...Object.values(ourGradients.grads),
  ]);
  model.dispose();
});

it('drops units at the layer’s rate and scales the kept ones as tf.dropout does', () => {
  const mask = dropoutMask(200_000, 0.25, 42);
  const kept = mask.filter((value) => value !== 0);
  assert.ok(Math.abs(kept.length / mask.length - 0.75) < 0.01, `kept share ${kept.length / mask.length}`);
  assert.ok(kept.every((value) => Math.abs(value - 1 / 0.75) < 1e-6));
  assert.deepEqual(dropoutMask(1000, 0.25, 42), dropoutMask(1000, 0.25, 42), 'same seed, same mask');
  assert.notDeepEqual(dropoutMask(1000, 0.25, 42), dropoutMask(1000, 0.25, 43));
});

it('applies dropout in training mode and covers the transfer head too', () => {
  const model = seedBaseNetwork(tf, 24);
  const x = tf.randomUniform([4, 24, 24, 1], 0, 1, 'float32', 12);
  let seed = 1;
  const withDropout = tf.tidy(() => trainingForward(tf, model, x, () => seed++).dataSync());
  const without = tf.tidy(() => trainingForward(tf, model, x, null).dataSync());
  assert.notDeepEqual(withDropout, without);
  assert.ok(trainingForwardSupports(transferHead(tf)));
  const custom = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [3], units: 2, activation: 'tanh' })],
  });
  assert.equal(trainingForwardSupports(custom), false, 'an activation it does not write out');
  tf.dispose(x);
  model.dispose();
});
