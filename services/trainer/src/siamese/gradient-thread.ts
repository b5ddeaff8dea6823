// Runs in a worker thread (gradient-threads.ts): a replica of the model on this thread's own
// WebAssembly backend; each request sets the weights, runs the step's loss on its part of the batch
// and answers with the loss and the gradients.
import { parentPort, workerData } from 'node:worker_threads';
import { setFastTrainingKernels } from '@faceshot/vision/fast-training-kernels';
import { loadTrainingTensorflow } from '@faceshot/vision/training-tensorflow';
import type * as TF from '@tensorflow/tfjs';
import type { GradientRequest, GradientThreadData } from './gradient-threads.js';
import { siameseLoss, towersTogether } from './train-siamese.js';

const data = workerData as GradientThreadData;
const ready = (async () => {
  const { tf } = await loadTrainingTensorflow();
  setFastTrainingKernels(tf, data.fastKernels);
  const model = await tf.models.modelFromJSON({
    modelTopology: JSON.parse(data.topology) as TF.io.ModelJSON['modelTopology'],
  });
  return { tf, model };
})();

parentPort?.on('message', (message: { id: number; request: GradientRequest }) => {
  void (async () => {
    try {
      const { tf, model } = await ready;
      const { request } = message;
      const variables = model.trainableWeights.map((weight) => weight.read() as TF.Variable);
      if (request.weights.length !== variables.length)
        throw new Error(`expected ${variables.length} weights, got ${request.weights.length}`);
      tf.tidy(() => {
        for (const [index, variable] of variables.entries())
          variable.assign(tf.tensor(request.weights[index] as Float32Array, variable.shape));
      });
      const seeds = [...request.seeds];
      const shape = [request.labels.length, ...request.inputShape.slice(1)];
      const inputs: [TF.Tensor, TF.Tensor] = [tf.tensor(request.a, shape), tf.tensor(request.b, shape)];
      const labels = tf.tensor1d(request.labels);
      const together = towersTogether(tf, model);
      const result = tf.variableGrads(
        () => siameseLoss(tf, model, inputs, labels, request.margin, together, () => seeds.shift() ?? 1),
        variables,
      );
      const grads = variables.map((variable) => result.grads[variable.name]?.dataSync() as Float32Array);
      const loss = result.value.dataSync()[0] ?? 0;
      tf.dispose([...inputs, labels, result.value, ...Object.values(result.grads)]);
      parentPort?.postMessage(
        { id: message.id, answer: { loss, grads } },
        grads.map((grad) => grad.buffer as ArrayBuffer),
      );
    } catch (error) {
      parentPort?.postMessage({
        id: message.id,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  })();
});
