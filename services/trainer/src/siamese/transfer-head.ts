// The `transfer` architecture: a linear map over the frozen descriptor of each face (face-api's 128
// values, or an ONNX model's embedding: computed once, at extraction, and read from the face
// records), initialised to the identity, so
// before its first step it IS faceapi-baseline (same distances, same answers). Training moves it only
// as far as recognition on validation people improves, and a pull towards the identity keeps it near
// what the descriptor already knows when there are few training people.
import type * as TF from '@tensorflow/tfjs';

/** face-api's descriptor; an ONNX engine's size is its manifest's recognition output. */
export const FACEAPI_DESCRIPTOR_SIZE = 128;

export function transferHead(tf: typeof TF, descriptorSize = FACEAPI_DESCRIPTOR_SIZE): TF.Sequential {
  return tf.sequential({
    name: 'transfer_head',
    layers: [
      tf.layers.dense({
        inputShape: [descriptorSize],
        units: descriptorSize,
        useBias: true,
        kernelInitializer: tf.initializers.identity({ gain: 1 }),
        biasInitializer: 'zeros',
        name: 'identity_initialised_map',
      }),
    ],
  });
}

/** ‖W − I‖² + ‖b‖² of the head: how far it moved from the baseline (the pull-to-identity penalty). */
export function distanceFromIdentity(tf: typeof TF, head: TF.LayersModel): TF.Scalar {
  return tf.tidy(() => {
    const [kernel, bias] = head.trainableWeights.map((weight) => weight.read());
    if (kernel === undefined) return tf.scalar(0);
    const size = kernel.shape[0] ?? FACEAPI_DESCRIPTOR_SIZE;
    const fromKernel = tf.sum(tf.square(tf.sub(kernel, tf.eye(size))));
    return (bias === undefined ? fromKernel : tf.add(fromKernel, tf.sum(tf.square(bias)))) as TF.Scalar;
  });
}
