// What every face detector is: an RGB image tensor in, face boxes (image pixels) with a score out.
// Landmarks and descriptors are computed from those boxes by one shared step (describe-faces.ts), so
// a new detector (another model, another runtime) only has to find boxes. No heavy imports here: the
// configuration module reads the detector names from this file.
import type { Tensor3D } from '@tensorflow/tfjs';

/** blazeface is the default: measured the fastest and the most accurate of the three (README). */
export const DETECTOR_NAMES = ['blazeface', 'ssd', 'tiny'] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];
export const DEFAULT_DETECTOR: DetectorName = 'blazeface';

export function isDetectorName(value: unknown): value is DetectorName {
  return typeof value === 'string' && (DETECTOR_NAMES as readonly string[]).includes(value);
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface FoundFace {
  /** Image pixel coordinates. */
  box: Box;
  score: number;
}

export interface FaceDetector {
  readonly name: DetectorName;
  /** Faces in an int32 height × width × 3 RGB tensor (the caller keeps and disposes it). */
  find(image: Tensor3D, minConfidence: number): Promise<FoundFace[]>;
}
