// A Piscina worker thread: owns one face engine (models loaded once) and extracts faces from photo
// bytes sent by the pool. Keeps tfjs off the main thread, where BullMQ renews job locks.
import { workerData } from 'node:worker_threads';
import type { DetectorName } from '@faceshot/core/engines/detector-name';
import { type FaceEngineId, isOnnxEngine } from '@faceshot/core/engines/face-engine-id';
import { OnnxModelError } from '@faceshot/core/engines/onnx/onnx-manifest';
import { findOnnxModel } from '@faceshot/core/engines/onnx/onnx-model-catalogue';
import { loadFaceEngine } from './face-engine.js';
import {
  type ExtractionOptions,
  type ExtractionResult,
  extractFace,
  extractPhotoFaces,
  type FaceReader,
  type PhotoFacesResult,
} from './face-extraction.js';
import { OnnxFaceModel } from './onnx/onnx-face-model.js';

/** What a thread is asked: the primary face as extraction stores it, or a photo's faces for prediction. */
export type ThreadMode = 'extract' | 'faces-all' | 'faces-primary';

export interface ThreadRequest {
  mode: ThreadMode;
  /** This photo's detector, when not the pool's. */
  detector?: DetectorName;
  /** This photo's engine, when not the pool's (an ONNX model serving a request). */
  engine?: FaceEngineId;
  bytes: Uint8Array;
}

/** A result, or the reason there is none (a bad model, a failing net): the pool rejects with it. */
export type ThreadReply = { backend: string | undefined } & (
  | { result: ExtractionResult | PhotoFacesResult }
  | { error: string }
);

const poolOptions = workerData as ExtractionOptions;
const engine = loadFaceEngine();
// Loading may fail (its error is answered per task); never as an unhandled rejection.
engine.catch(() => undefined);
/** ONNX models this thread has opened (one onnxruntime thread each: the pool is the parallelism). */
const onnxModels = new Map<string, Promise<OnnxFaceModel>>();

function readerFor(options: ExtractionOptions): Promise<FaceReader> {
  const id = options.engine;
  if (!isOnnxEngine(id)) return engine;
  let model = onnxModels.get(id);
  if (model === undefined) {
    model = findOnnxModel(options.onnxModelsDir, id).then((folder) => {
      if (folder === undefined)
        throw new OnnxModelError(
          options.onnxModelsDir === undefined
            ? `no ONNX model "${id}": ONNX_MODELS_DIR is not set`
            : `no ONNX model "${id}" in ${options.onnxModelsDir}`,
        );
      return OnnxFaceModel.load(folder, 1);
    });
    model.catch(() => onnxModels.delete(id));
    onnxModels.set(id, model);
  }
  return model;
}

export default async function extractInThread(request: ThreadRequest): Promise<ThreadReply> {
  const backend = await engine.then(
    (loaded) => loaded.backend,
    () => undefined,
  );
  try {
    const bytes = Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength);
    const options = {
      ...poolOptions,
      ...(request.detector ? { detector: request.detector } : {}),
      ...(request.engine ? { engine: request.engine } : {}),
    };
    const reader = await readerFor(options);
    const result =
      request.mode === 'extract'
        ? await extractFace(reader, bytes, options)
        : await extractPhotoFaces(reader, bytes, options, request.mode === 'faces-all' ? 'all' : 'primary');
    return { result, backend };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error), backend };
  }
}
