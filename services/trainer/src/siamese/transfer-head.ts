// The `transfer` architecture: a small dense head over the frozen 128-d face-api descriptor of each
// face (computed once, at extraction, and read from the face records), trained with the same
// contrastive loss as the seed network.
import type * as TF from '@tensorflow/tfjs';

export const DESCRIPTOR_SIZE = 128;

export function transferHead(tf: typeof TF): TF.Sequential {
  return tf.sequential({
    name: 'transfer_head',
    layers: [
      tf.layers.dense({ inputShape: [DESCRIPTOR_SIZE], units: 128, activation: 'relu' }),
      tf.layers.dropout({ rate: 0.1 }),
      tf.layers.dense({ units: 64 }),
    ],
  });
}
