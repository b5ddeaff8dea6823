// The seed project's Siamese network, layer for layer (README, "Training a model"): a small CNN
// maps an 80×80 grey face scaled to [0, 1] to 50 numbers; two faces are compared by the Euclidean
// distance of their embeddings, trained with the contrastive loss.
import type * as TF from '@tensorflow/tfjs';

type Tf = typeof TF;

export const SEED_INPUT_SIZE = 80;
export const SEED_EMBEDDING_SIZE = 50;

/** Conv2D(6,3×3)-ReLU-MaxPool2-Dropout.25-Conv2D(12,3×3)-ReLU-MaxPool2-Dropout.25-Flatten-Dense128 ReLU-Dropout.1-Dense50 ReLU. */
export function seedBaseNetwork(tf: Tf, inputSize = SEED_INPUT_SIZE): TF.Sequential {
  return tf.sequential({
    name: 'seed_base',
    layers: [
      tf.layers.conv2d({
        inputShape: [inputSize, inputSize, 1],
        filters: 6,
        kernelSize: 3,
        padding: 'valid',
        activation: 'relu',
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.dropout({ rate: 0.25 }),
      tf.layers.conv2d({ filters: 12, kernelSize: 3, padding: 'valid', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.dropout({ rate: 0.25 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dropout({ rate: 0.1 }),
      tf.layers.dense({ units: SEED_EMBEDDING_SIZE, activation: 'relu' }),
    ],
  });
}

/** Euclidean distance per row, kept away from sqrt(0) whose gradient is infinite (as Keras does). */
export function euclideanDistance(tf: Tf, a: TF.Tensor2D, b: TF.Tensor2D): TF.Tensor1D {
  return tf.tidy(() => tf.sqrt(tf.maximum(tf.sum(tf.square(tf.sub(a, b)), 1), 1e-7)) as TF.Tensor1D);
}

/** mean(y·d² + (1 − y)·max(margin − d, 0)²), y = 1 for the same person. */
export function contrastiveLoss(tf: Tf, same: TF.Tensor1D, distance: TF.Tensor1D, margin = 1): TF.Scalar {
  return tf.tidy(() => {
    const similarTerm = tf.mul(same, tf.square(distance));
    const dissimilarTerm = tf.mul(tf.sub(1, same), tf.square(tf.relu(tf.sub(margin, distance))));
    return tf.mean(tf.add(similarTerm, dissimilarTerm)) as TF.Scalar;
  });
}
