// Eye-line alignment and a square crop with margin, the way the seed's MTCNN crops looked: the face
// upright, centred, with some forehead and chin.

import sharp from 'sharp';
import type { Box, RgbImage } from './detect-faces.js';

export interface AlignedCrop {
  /** faceSize × faceSize RGB PNG. */
  facePng: Buffer;
  /** graySize × graySize one-channel PNG. */
  grayPng: Buffer;
  /** Raw grey pixels of the gray crop (for the blur estimate). */
  grayPixels: Buffer;
  /** Eye-line angle in the photo, degrees (positive: the image-right eye is lower). */
  eyeAngleDeg: number;
}

function mean(points: [number, number][]): [number, number] {
  const sum = points.reduce((acc, [x, y]) => [acc[0] + x, acc[1] + y], [0, 0]);
  return [sum[0] / points.length, sum[1] / points.length];
}

/**
 * Eye centres from the 68 landmarks (points 36-41 and 42-47, iBUG order), or the first two of five
 * keypoints (an ONNX detector's own: eyes, nose, mouth corners).
 */
export function eyeCentres(landmarks: [number, number][]): {
  left: [number, number];
  right: [number, number];
} {
  if (landmarks.length === 5)
    return { left: mean(landmarks.slice(0, 1)), right: mean(landmarks.slice(1, 2)) };
  return { left: mean(landmarks.slice(36, 42)), right: mean(landmarks.slice(42, 48)) };
}

/** The mouth's centre: the mean of the 20 mouth landmarks, or of the two mouth corners of five keypoints. */
function mouthCentre(landmarks: [number, number][]): [number, number] {
  return mean(landmarks.length === 5 ? landmarks.slice(3, 5) : landmarks.slice(48, 68));
}

export function eyeAngleDegrees(landmarks: [number, number][]): number {
  const { left, right } = eyeCentres(landmarks);
  return (Math.atan2(right[1] - left[1], right[0] - left[0]) * 180) / Math.PI;
}

export interface AlignOptions {
  faceSize: number;
  graySize: number;
  /** Extra border around the face box, as a share of its side (0.3 = 30%). */
  margin: number;
}

export async function alignAndCrop(
  image: RgbImage,
  box: Box,
  landmarks: [number, number][],
  options: AlignOptions,
): Promise<AlignedCrop> {
  const angle = eyeAngleDegrees(landmarks);
  const { left, right } = eyeCentres(landmarks);
  const mouth = mouthCentre(landmarks);
  // Centre between the eyes' midpoint and the mouth: the middle of the face, whatever the box.
  const centre: [number, number] = [
    ((left[0] + right[0]) / 2 + mouth[0]) / 2,
    ((left[1] + right[1]) / 2 + mouth[1]) / 2,
  ];
  const side = Math.max(8, Math.round(Math.max(box.width, box.height) * (1 + options.margin)));
  // 1) A region around the face big enough to hold the square after any rotation (side × √2).
  const region = Math.ceil(side * 1.5);
  const regionLeft = Math.round(centre[0]) - Math.floor(region / 2);
  const regionTop = Math.round(centre[1]) - Math.floor(region / 2);
  // The part of the region inside the photo, then a black border for the part outside it.
  const x0 = Math.min(Math.max(0, regionLeft), image.width - 1);
  const y0 = Math.min(Math.max(0, regionTop), image.height - 1);
  const x1 = Math.max(x0 + 1, Math.min(image.width, regionLeft + region));
  const y1 = Math.max(y0 + 1, Math.min(image.height, regionTop + region));
  const inside = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract({ left: x0, top: y0, width: x1 - x0, height: y1 - y0 })
    .raw()
    .toBuffer();
  const regionBuffer = await sharp(inside, { raw: { width: x1 - x0, height: y1 - y0, channels: 3 } })
    .extend({
      left: Math.max(0, x0 - regionLeft),
      top: Math.max(0, y0 - regionTop),
      right: Math.max(0, regionLeft + region - x1),
      bottom: Math.max(0, regionTop + region - y1),
      background: { r: 0, g: 0, b: 0 },
    })
    .raw()
    .toBuffer();
  // 2) Rotate the region about its centre so the eye line is horizontal (sharp turns clockwise).
  const rotated = await sharp(regionBuffer, { raw: { width: region, height: region, channels: 3 } })
    .rotate(-angle, { background: { r: 0, g: 0, b: 0 } })
    .raw()
    .toBuffer({ resolveWithObject: true });
  // 3) The centred square.
  const square = sharp(rotated.data, {
    raw: { width: rotated.info.width, height: rotated.info.height, channels: 3 },
  }).extract({
    left: Math.floor((rotated.info.width - side) / 2),
    top: Math.floor((rotated.info.height - side) / 2),
    width: side,
    height: side,
  });
  const squareRaw = await square.raw().toBuffer();
  const squareImage = () => sharp(squareRaw, { raw: { width: side, height: side, channels: 3 } });
  const facePng = await squareImage()
    .resize(options.faceSize, options.faceSize, { kernel: 'lanczos3' })
    .png()
    .toBuffer();
  const grayPixels = await squareImage()
    .greyscale()
    .resize(options.graySize, options.graySize, { kernel: 'lanczos3' })
    .toColourspace('b-w')
    .raw()
    .toBuffer();
  const grayPng = await sharp(grayPixels, {
    raw: { width: options.graySize, height: options.graySize, channels: 1 },
  })
    .toColourspace('b-w') // otherwise sharp writes a one-band raw buffer as RGB
    .png()
    .toBuffer();
  return { facePng, grayPng, grayPixels, eyeAngleDeg: angle };
}

/** Variance of the Laplacian of a grey image: low means blurred (a common focus measure). */
export function laplacianVariance(pixels: Buffer, width: number, height: number): number {
  let sum = 0;
  let sumSquares = 0;
  let count = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const at = (dx: number, dy: number) => pixels[(y + dy) * width + x + dx] ?? 0;
      const value = at(-1, 0) + at(1, 0) + at(0, -1) + at(0, 1) - 4 * at(0, 0);
      sum += value;
      sumSquares += value * value;
      count++;
    }
  }
  if (count === 0) return 0;
  const average = sum / count;
  return sumSquares / count - average * average;
}
