// Runs in a worker thread: owns one face engine (models loaded once) and extracts faces from photo
// bytes sent by the pool. Keeps tfjs off the main thread, where BullMQ renews job locks.
import { parentPort, workerData } from 'node:worker_threads';
import type { DetectorName } from '@faceshot/shared/vision/face-detector';
import { loadFaceEngine } from '@faceshot/shared/vision/face-engine';
import type { ThreadMode } from './extraction-pool.js';
import { type ExtractionOptions, extractFace, extractPhotoFaces } from './face-extraction.js';

export interface ThreadRequest {
  id: number;
  mode: ThreadMode;
  /** This photo's detector, when not the pool's. */
  detector?: DetectorName;
  bytes: Uint8Array;
}

const poolOptions = workerData as ExtractionOptions;
const engine = loadFaceEngine();

parentPort?.on('message', (request: ThreadRequest) => {
  void (async () => {
    try {
      const bytes = Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength);
      const options = request.detector ? { ...poolOptions, detector: request.detector } : poolOptions;
      const result =
        request.mode === 'extract'
          ? await extractFace(await engine, bytes, options)
          : await extractPhotoFaces(
              await engine,
              bytes,
              options,
              request.mode === 'faces-all' ? 'all' : 'primary',
            );
      parentPort?.postMessage({ id: request.id, result, backend: (await engine).backend });
    } catch (error) {
      parentPort?.postMessage({
        id: request.id,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  })();
});
