// Training throughput of the seed Siamese network on this machine's best backend (pairs/s), with
// the forward-op Conv2D filter gradient on WebAssembly. Random pixels: this measures speed only.
//   npm run bench:seed-train -- [steps=10]
import { createRequire } from 'node:module';
import os from 'node:os';
import { registerConv2dGradient } from '@faceshot/shared/vision/conv2d-filter-gradient';
import { loadFaceEngine } from '@faceshot/shared/vision/face-engine';
import { contrastiveLoss, euclideanDistance, seedBaseNetwork } from '@faceshot/trainer/siamese/seed-network';
import type * as TF from '@tensorflow/tfjs';

const steps = Number(process.argv[2] ?? '10');
const BATCH = 128;
// The face engine picks and initialises the backend; its tfjs instance is the one to use.
const engine = await loadFaceEngine();
const tf = createRequire(import.meta.url)('@tensorflow/tfjs') as typeof TF;
registerConv2dGradient(tf);
const base = seedBaseNetwork(tf);
const optimizer = tf.train.rmsprop(1e-3);
const x1 = tf.randomUniform([BATCH, 80, 80, 1], 0, 1, 'float32', 1);
const x2 = tf.randomUniform([BATCH, 80, 80, 1], 0, 1, 'float32', 2);
const y = tf.cast(tf.randomUniform([BATCH], 0, 2, 'int32', 3), 'float32') as TF.Tensor1D;
const step = () =>
  optimizer.minimize(() => {
    const e1 = base.apply(x1, { training: true }) as TF.Tensor2D;
    const e2 = base.apply(x2, { training: true }) as TF.Tensor2D;
    return contrastiveLoss(tf, y, euclideanDistance(tf, e1, e2));
  }, true);
step()?.dispose(); // warm-up
const started = performance.now();
for (let index = 0; index < steps; index++) step()?.dispose();
const seconds = (performance.now() - started) / 1000;
process.stdout.write(
  `${JSON.stringify(
    {
      benchmark: 'seed-train-throughput',
      date: new Date().toISOString(),
      backend: engine.backend,
      cores: os.availableParallelism(),
      batch: BATCH,
      steps,
      msPerStep: Number(((seconds * 1000) / steps).toFixed(1)),
      pairsPerSecond: Number(((steps * BATCH) / seconds).toFixed(1)),
    },
    null,
    2,
  )}\n`,
);
