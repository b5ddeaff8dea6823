// face-api's own detectors as FaceDetectors: SSD MobileNet v1 (512 px) and the Tiny Face Detector.
import type * as FaceApi from '@vladmandic/face-api';
import type { FaceDetector } from './face-detector.js';
import { FACE_API_MODEL_DIR, type FaceEngine } from './face-engine.js';

type DetectorOptions = FaceApi.SsdMobilenetv1Options | FaceApi.TinyFaceDetectorOptions;

function faceApiDetector(
  engine: FaceEngine,
  name: 'ssd' | 'tiny',
  optionsFor: (minConfidence: number) => DetectorOptions,
): FaceDetector {
  const { faceapi } = engine;
  return {
    name,
    async find(image, minConfidence) {
      // run(), not await on the task: face-api's tasks pass no rejection handler on, so an error
      // awaited through them would be an unhandled rejection (a crashed thread), not a thrown error.
      const input = image as unknown as Parameters<typeof faceapi.detectAllFaces>[0];
      const detections = await faceapi.detectAllFaces(input, optionsFor(minConfidence)).run();
      return detections.map((detection) => ({
        score: detection.score,
        box: {
          x: detection.box.x,
          y: detection.box.y,
          width: detection.box.width,
          height: detection.box.height,
        },
      }));
    },
  };
}

export async function loadSsdDetector(engine: FaceEngine): Promise<FaceDetector> {
  await engine.faceapi.nets.ssdMobilenetv1.loadFromDisk(FACE_API_MODEL_DIR);
  const { faceapi } = engine;
  return faceApiDetector(
    engine,
    'ssd',
    (minConfidence) => new faceapi.SsdMobilenetv1Options({ minConfidence, maxResults: 20 }),
  );
}

export async function loadTinyDetector(engine: FaceEngine): Promise<FaceDetector> {
  await engine.faceapi.nets.tinyFaceDetector.loadFromDisk(FACE_API_MODEL_DIR);
  const { faceapi } = engine;
  return faceApiDetector(
    engine,
    'tiny',
    (minConfidence) => new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: minConfidence }),
  );
}
