// Grey faces (one byte a pixel, row-major, as the pair files and grey crops hold them) as one input
// batch for the seed network: [n, height, width, 1] scaled to [0, 1], written straight into the
// tensor's buffer, one pass per face, without an intermediate array per row.
import type * as TF from '@tensorflow/tfjs';

const SCALE = Float32Array.from({ length: 256 }, (_, value) => value / 255);

/** A face missing from the list (undefined) is an all-black input, as before. */
export function grayBatch(
  tf: typeof TF,
  faces: readonly (Uint8Array | undefined)[],
  height: number,
  width: number,
): TF.Tensor4D {
  const size = height * width;
  const values = new Float32Array(faces.length * size);
  for (let index = 0; index < faces.length; index++) {
    const face = faces[index];
    if (face === undefined) continue;
    if (face.length < size) throw new Error(`grey face ${index} has ${face.length} pixels, expected ${size}`);
    const offset = index * size;
    for (let pixel = 0; pixel < size; pixel++)
      values[offset + pixel] = SCALE[face[pixel] as number] as number;
  }
  return tf.tensor4d(values, [faces.length, height, width, 1]);
}
