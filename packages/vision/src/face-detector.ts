// What every face detector is: an RGB image tensor in, face boxes (image pixels) with a score out.
// Landmarks and descriptors are computed from those boxes by one shared step (describe-faces.ts), so
// a new detector (another model, another runtime) only has to find boxes. The detector names are in
// @faceshot/core (engines/detector-name.ts), which the configuration module reads without TensorFlow.js.
import type { DetectorName } from '@faceshot/core/engines/detector-name';
import type { Tensor3D } from '@tensorflow/tfjs';

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
