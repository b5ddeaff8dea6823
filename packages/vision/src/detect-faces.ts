// Every face in an RGB image: a detector finds the boxes (detectors.ts), face-api's nets give each
// its 68 landmarks and 128-d descriptor (describe-faces.ts).

import type { DetectorName } from '@faceshot/core/engines/detector-name';
import type * as FaceApi from '@vladmandic/face-api';
import { type DescribedFace, describeFaces } from './describe-faces.js';
import { loadDetector } from './detectors.js';
import type { FaceEngine } from './face-engine.js';

export type { DetectorName } from '@faceshot/core/engines/detector-name';
export type { Box } from './face-detector.js';
export type DetectedFace = DescribedFace;

export interface RgbImage {
  /** width × height × 3 bytes, row-major RGB. */
  data: Buffer;
  width: number;
  height: number;
}

export interface DetectOptions {
  detector: DetectorName;
  minConfidence: number;
}

export async function detectFaces(
  engine: FaceEngine,
  image: RgbImage,
  options: DetectOptions,
): Promise<DetectedFace[]> {
  const detector = await loadDetector(engine, options.detector);
  const tensor = engine.tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
  try {
    const found = await detector.find(tensor, options.minConfidence);
    return await describeFaces(engine, tensor as unknown as FaceApi.tf.Tensor3D, found);
  } finally {
    tensor.dispose();
  }
}
