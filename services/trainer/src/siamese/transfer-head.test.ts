// The transfer head starts as faceapi-baseline: before any step its output is the descriptor, so
// every distance (and therefore every answer) is the baseline's; and the triplet loss trains it.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { it } from 'node:test';
import { seededRandom } from '@faceshot/core/seeded-random';
import { euclidean } from '@faceshot/vision/evaluation/verification-metrics';
import type * as TF from '@tensorflow/tfjs';
import { batchHardTripletLoss, epochBatches, trainOnFaces } from './train-faces.js';
import { distanceFromIdentity, FACEAPI_DESCRIPTOR_SIZE, transferHead } from './transfer-head.js';

const tf = createRequire(import.meta.url)('@tensorflow/tfjs') as typeof TF;

function descriptors(count: number, seed: number): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () =>
    Array.from({ length: FACEAPI_DESCRIPTOR_SIZE }, () => (random() - 0.5) * 0.3),
  );
}

it('reproduces the baseline distances exactly at step 0 (identity initialisation)', () => {
  const head = transferHead(tf);
  const inputs = descriptors(12, 5);
  const outputs = tf.tidy(() => (head.apply(tf.tensor2d(inputs)) as TF.Tensor2D).arraySync());
  for (let i = 0; i < inputs.length; i++) {
    for (let j = i + 1; j < inputs.length; j++) {
      const baseline = euclidean(inputs[i] ?? [], inputs[j] ?? []);
      const trained = euclidean(outputs[i] ?? [], outputs[j] ?? []);
      assert.ok(Math.abs(baseline - trained) < 1e-6, `pair ${i},${j}: ${trained} vs baseline ${baseline}`);
    }
  }
  assert.ok((distanceFromIdentity(tf, head).dataSync()[0] ?? 1) < 1e-12);
  head.dispose();
});

it('scores the batch-hard triplet loss: zero when every person is apart by the margin, positive otherwise', () => {
  const apart = tf.tensor2d([
    [0, 0],
    [0, 0.1],
    [5, 0],
    [5, 0.1],
  ]);
  assert.ok((batchHardTripletLoss(tf, apart, [0, 0, 1, 1], 0.2).dataSync()[0] ?? 1) < 1e-6);
  const mixed = tf.tensor2d([
    [0, 0],
    [1, 0],
    [0.1, 0],
    [1.1, 0],
  ]);
  // Anchor 0: hardest positive 1.0 away, hardest negative 0.1 away → 1.0 − 0.1 + 0.2 = 1.1 (all four alike).
  assert.ok(Math.abs((batchHardTripletLoss(tf, mixed, [0, 0, 1, 1], 0.2).dataSync()[0] ?? 0) - 1.1) < 1e-4);
});

/** 50 people: eight dimensions carry identity, the other 120 noise that blurs the raw distances. */
function separableFaces(): Map<string, number[][]> {
  const random = seededRandom(3);
  // Eight dimensions carry identity, the other 120 noise that blurs the raw distances: a linear map
  // learnt on 40 people should tell the 10 validation people apart better than the raw descriptor.
  const faces = new Map<string, number[][]>();
  for (let person = 0; person < 50; person++) {
    const centre = Array.from({ length: FACEAPI_DESCRIPTOR_SIZE }, (_, index) =>
      index < 8 ? (random() - 0.5) * 0.6 : 0,
    );
    faces.set(
      `p${person}`,
      Array.from({ length: 6 }, () =>
        centre.map((value, index) => value + (random() - 0.5) * (index < 8 ? 0.05 : 0.3)),
      ),
    );
  }
  return faces;
}

const TRAINING = {
  epochs: 12,
  batchSize: 32,
  learningRate: 0.003,
  margin: 0.2,
  patience: 12,
  seed: 1,
  identityPull: 0,
  targetFar: 0.05,
  photosPerPerson: 4,
  minImprovement: 0,
};

it('draws P people × K photos per batch and trains towards separating people', async () => {
  const faces = separableFaces();
  const batches = epochBatches(faces, { batchSize: 32, photosPerPerson: 4 }, seededRandom(1));
  assert.ok(batches.length >= 3);
  for (const batch of batches) {
    assert.equal(batch.inputs.length, 32);
    assert.equal(new Set(batch.labels).size, 8);
  }
  assert.equal(batches.length, Math.ceil((50 * 6) / 32));
  const train = new Map([...faces].slice(0, 40));
  const validation = new Map([...faces].slice(40));
  const head = transferHead(tf);
  const result = await trainOnFaces(tf, head, train, validation, TRAINING);
  assert.ok(result.start !== undefined && result.best !== undefined);
  assert.ok(
    result.best.score > result.start.score,
    `validation score ${result.best.score} did not improve on the baseline's ${result.start.score}`,
  );
  assert.equal(result.history.length, result.epochs);
  head.dispose();
});

it('keeps the untouched baseline when no epoch beats it on validation by minImprovement', async () => {
  const faces = separableFaces();
  const head = transferHead(tf);
  const train = new Map([...faces].slice(0, 40));
  const validation = new Map([...faces].slice(40));
  // A score can reach at most 1: no epoch can beat the baseline by more than that.
  const result = await trainOnFaces(tf, head, train, validation, {
    ...TRAINING,
    epochs: 3,
    minImprovement: 1,
  });
  assert.equal(result.bestEpoch, 0);
  assert.deepEqual(result.best, result.start);
  assert.ok((distanceFromIdentity(tf, head).dataSync()[0] ?? 1) < 1e-12, 'the head is the identity again');
  head.dispose();
});
