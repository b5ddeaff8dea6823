// Photo pixels → the float32 NCHW input of an ONNX net. Every input (the detector's stretched photo,
// the landmark net's square crop, the recognition net's aligned face) is the photo sampled at an
// affine map of the net's pixel grid, bilinearly, then normalised per channel. Pure: tests check it
// pixel by pixel.
import type { Box } from '../face-detector.js';
import type { Affine } from './similarity-warp.js';

export interface RgbPixels {
  /** width × height × 3 bytes, row-major RGB. */
  data: Uint8Array;
  width: number;
  height: number;
}

export interface NetInputFormat {
  colour: 'rgb' | 'bgr' | 'grey';
  /** Per channel (or one for all): value → (value − mean) / std, pixels as 0-255. */
  normalisation: { mean: readonly number[]; std: readonly number[] };
}

/**
 * How pixels outside the photo are filled: `edge` repeats the border pixels (resizing, crops of a
 * face at the photo's edge); `zero` is black, as OpenCV's warpAffine fills ArcFace's aligned crops.
 */
export type Border = 'edge' | 'zero';

const channelCount = (format: NetInputFormat) => (format.colour === 'grey' ? 1 : 3);

/**
 * A width × height net input: pixel (u, v) of the net is the photo at map(u, v), both in pixel-index
 * coordinates (pixel centres at integers, as OpenCV's warpAffine).
 */
export function sampleToNchw(
  photo: RgbPixels,
  map: Affine,
  width: number,
  height: number,
  format: NetInputFormat,
  border: Border,
): Float32Array {
  const channels = channelCount(format);
  const plane = width * height;
  const output = new Float32Array(channels * plane);
  const { data, width: photoWidth, height: photoHeight } = photo;
  const [m00, m01, m02, m10, m11, m12] = map;
  const mean = format.normalisation.mean;
  const std = format.normalisation.std;
  const meanOf = (c: number) => mean[mean.length === 1 ? 0 : c] ?? 0;
  const stdOf = (c: number) => std[std.length === 1 ? 0 : c] ?? 1;
  // Which RGB byte feeds output channel c.
  const source = format.colour === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  const rgb = [0, 0, 0];
  const pixel = (x: number, y: number, c: number): number => {
    if (x < 0 || y < 0 || x >= photoWidth || y >= photoHeight) {
      if (border === 'zero') return 0;
      x = Math.min(photoWidth - 1, Math.max(0, x));
      y = Math.min(photoHeight - 1, Math.max(0, y));
    }
    return data[(y * photoWidth + x) * 3 + c] ?? 0;
  };
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      const x = m00 * u + m01 * v + m02;
      const y = m10 * u + m11 * v + m12;
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      const fx = x - x0;
      const fy = y - y0;
      for (let c = 0; c < 3; c++) {
        const top = pixel(x0, y0, c) * (1 - fx) + pixel(x0 + 1, y0, c) * fx;
        const bottom = pixel(x0, y0 + 1, c) * (1 - fx) + pixel(x0 + 1, y0 + 1, c) * fx;
        rgb[c] = top * (1 - fy) + bottom * fy;
      }
      const offset = v * width + u;
      if (channels === 1) {
        // OpenCV's RGB → grey weights.
        const grey = 0.299 * (rgb[0] ?? 0) + 0.587 * (rgb[1] ?? 0) + 0.114 * (rgb[2] ?? 0);
        output[offset] = (grey - meanOf(0)) / stdOf(0);
      } else {
        for (let c = 0; c < 3; c++)
          output[c * plane + offset] = ((rgb[source[c] ?? c] ?? 0) - meanOf(c)) / stdOf(c);
      }
    }
  }
  return output;
}

/**
 * The map that stretches a region (x, y, width × height of the photo) over a net's
 * outWidth × outHeight grid, pixel centres to pixel centres (OpenCV's resize convention).
 */
export function regionMap(region: Box, outWidth: number, outHeight: number): Affine {
  const sx = region.width / outWidth;
  const sy = region.height / outHeight;
  return [sx, 0, region.x + 0.5 * sx - 0.5, 0, sy, region.y + 0.5 * sy - 0.5];
}
