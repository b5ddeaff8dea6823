// Training throughput of both Siamese architectures on this machine's best backend (pairs/s): the
// seed CNN (with the forward-op Conv2D filter gradient on WebAssembly) and the transfer head over
// 128-d descriptors. Random inputs: this measures speed only.
//   npm run bench:train -- [steps=10]
import os from 'node:os';
import { loadTrainingTensorflow } from '@faceshot/shared/vision/training-tensorflow';
import { contrastiveLoss, euclideanDistance, seedBaseNetwork } from '@faceshot/trainer/siamese/seed-network';
import { DESCRIPTOR_SIZE, transferHead } from '@faceshot/trainer/siamese/transfer-head';
import type * as TF from '@tensorflow/tfjs';

const steps = Number(process.argv[2] ?? '10');
const BATCH = 128;
const { tf, backend } = await loadTrainingTensorflow();

function measure(model: TF.LayersModel, inputShape: number[]) {
  const optimizer = tf.train.rmsprop(1e-3);
  const x1 = tf.randomUniform([BATCH, ...inputShape], 0, 1, 'float32', 1);
  const x2 = tf.randomUniform([BATCH, ...inputShape], 0, 1, 'float32', 2);
  const y = tf.cast(tf.randomUniform([BATCH], 0, 2, 'int32', 3), 'float32') as TF.Tensor1D;
  const step = () =>
    optimizer.minimize(() => {
      const e1 = model.apply(x1, { training: true }) as TF.Tensor2D;
      const e2 = model.apply(x2, { training: true }) as TF.Tensor2D;
      return contrastiveLoss(tf, y, euclideanDistance(tf, e1, e2));
    }, true);
  step()?.dispose(); // warm-up
  const started = performance.now();
  for (let index = 0; index < steps; index++) step()?.dispose();
  const seconds = (performance.now() - started) / 1000;
  tf.dispose([x1, x2, y]);
  return {
    msPerStep: Number(((seconds * 1000) / steps).toFixed(1)),
    pairsPerSecond: Number(((steps * BATCH) / seconds).toFixed(1)),
  };
}

const results = {
  seed: measure(seedBaseNetwork(tf), [80, 80, 1]),
  transfer: measure(transferHead(tf), [DESCRIPTOR_SIZE]),
};
process.stdout.write(
  `${JSON.stringify(
    {
      benchmark: 'train-throughput',
      date: new Date().toISOString(),
      backend,
      cores: os.availableParallelism(),
      batch: BATCH,
      steps,
      results,
    },
    null,
    2,
  )}\n`,
);
