import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { it } from 'node:test';
import type * as TF from '@tensorflow/tfjs';
import { contrastiveLoss, euclideanDistance, SEED_EMBEDDING_SIZE, seedBaseNetwork } from './seed-network.js';

const tf = createRequire(import.meta.url)('@tensorflow/tfjs') as typeof TF;

it('builds the seed base network exactly', () => {
  const model = seedBaseNetwork(tf);
  assert.deepEqual(
    model.layers.map((layer) => layer.getClassName()),
    [
      'Conv2D',
      'MaxPooling2D',
      'Dropout',
      'Conv2D',
      'MaxPooling2D',
      'Dropout',
      'Flatten',
      'Dense',
      'Dropout',
      'Dense',
    ],
  );
  assert.deepEqual(model.outputs[0]?.shape, [null, SEED_EMBEDDING_SIZE]);
  // 80 → conv 78 → pool 39 → conv 37 → pool 18: 18·18·12 = 3888 inputs to the 128-unit layer.
  assert.deepEqual(model.layers[6]?.outputShape, [null, 3888]);
  assert.equal(model.countParams(), 6 * 9 + 6 + 12 * 9 * 6 + 12 + 3888 * 128 + 128 + 128 * 50 + 50);
  model.dispose();
});

it('computes the contrastive loss of the seed (margin 1)', () => {
  const a = tf.tensor2d([
    [0, 0],
    [0, 0],
    [0, 0],
  ]);
  const b = tf.tensor2d([
    [0.5, 0],
    [0.5, 0],
    [3, 4],
  ]);
  const distance = euclideanDistance(tf, a, b);
  assert.deepEqual(
    Array.from(distance.dataSync()).map((d) => Number(d.toFixed(4))),
    [0.5, 0.5, 5],
  );
  // same: 0.5² = 0.25; different at 0.5: (1 − 0.5)² = 0.25; different at 5: 0.
  const loss = contrastiveLoss(tf, tf.tensor1d([1, 0, 0]), distance);
  assert.ok(Math.abs((loss.dataSync()[0] ?? 0) - 0.5 / 3) < 1e-6);
});
