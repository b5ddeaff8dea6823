// Face boxes from any detector → face-api's 68 landmarks and 128-d descriptor for each.
import type * as FaceApi from '@vladmandic/face-api';
import type { Box, FoundFace } from './face-detector.js';
import type { FaceEngine } from './face-engine.js';

export interface DescribedFace {
  box: Box;
  score: number;
  /** 68 points (iBUG 300-W order), image pixel coordinates. */
  landmarks: [number, number][];
  descriptor: number[];
}

/** Boxes smaller than this (pixels a side, inside the image) hold no face the nets can read. */
const MIN_FACE_SIDE = 4;

/**
 * The box clipped to the image, as face-api's FaceDetection wants it: relative coordinates (pixel
 * ones pass its checks and then fail inside its task chain). Undefined when too little is inside.
 */
function faceDetection(
  faceapi: FaceEngine['faceapi'],
  face: FoundFace,
  width: number,
  height: number,
): FaceApi.FaceDetection | undefined {
  const left = Math.max(0, face.box.x);
  const top = Math.max(0, face.box.y);
  const right = Math.min(width, face.box.x + face.box.width);
  const bottom = Math.min(height, face.box.y + face.box.height);
  if (!(right - left >= MIN_FACE_SIDE && bottom - top >= MIN_FACE_SIDE)) return undefined;
  const relative = new faceapi.Rect(
    left / width,
    top / height,
    (right - left) / width,
    (bottom - top) / height,
  );
  return new faceapi.FaceDetection(Math.min(1, Math.max(0, face.score)), relative, { width, height });
}

export async function describeFaces(
  engine: FaceEngine,
  image: FaceApi.tf.Tensor3D,
  faces: readonly FoundFace[],
): Promise<DescribedFace[]> {
  const { faceapi } = engine;
  const [height = 0, width = 0] = image.shape;
  const detections = faces
    .map((face) => faceDetection(faceapi, face, width, height))
    .filter((detection): detection is FaceApi.FaceDetection => detection !== undefined);
  if (detections.length === 0) return [];
  // Each step's run() is awaited on its own with a plain promise as its parent: face-api's tasks,
  // awaited through one another, drop rejections (an unhandled rejection ends the thread).
  const input = image as unknown as FaceApi.TNetInput;
  const withLandmarks = await new faceapi.DetectAllFaceLandmarksTask(
    Promise.resolve(detections.map((detection) => ({ detection }))),
    input,
    false,
  ).run();
  const described = await new faceapi.ComputeAllFaceDescriptorsTask(
    Promise.resolve(withLandmarks),
    input,
  ).run();
  return described
    .filter((result) => result.descriptor !== undefined)
    .map((result) => ({
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
}
