// Face detection, 68 landmarks and the 128-d face-api descriptor for every face in an RGB image.
import type { FaceEngine } from './face-engine.js';

export type DetectorName = 'ssd' | 'tiny';

export interface RgbImage {
  /** width × height × 3 bytes, row-major RGB. */
  data: Buffer;
  width: number;
  height: number;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DetectedFace {
  box: Box;
  score: number;
  /** 68 points (iBUG 300-W order), image pixel coordinates. */
  landmarks: [number, number][];
  descriptor: number[];
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
  const { faceapi } = engine;
  const tensor = faceapi.tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
  try {
    const detectorOptions =
      options.detector === 'tiny'
        ? new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: options.minConfidence })
        : new faceapi.SsdMobilenetv1Options({ minConfidence: options.minConfidence, maxResults: 20 });
    const results = await faceapi
      .detectAllFaces(tensor as unknown as Parameters<typeof faceapi.detectAllFaces>[0], detectorOptions)
      .withFaceLandmarks()
      .withFaceDescriptors();
    return results.map((result) => ({
      box: {
        x: result.detection.box.x,
        y: result.detection.box.y,
        width: result.detection.box.width,
        height: result.detection.box.height,
      },
      score: result.detection.score,
      landmarks: result.landmarks.positions.map((point) => [point.x, point.y] as [number, number]),
      descriptor: Array.from(result.descriptor),
    }));
  } finally {
    tensor.dispose();
  }
}
