// Which engine turns a face into an embedding: face-api (its 68 landmarks and 128-d descriptor, after
// any of the detectors) or an operator-installed ONNX model (`onnx-<name>`, its own detector,
// landmarks and recognition net). Records, cards and galleries name it, so embeddings of different
// engines are never compared. No heavy imports: configuration and schemas read this file.
export const FACEAPI_ENGINE: 'faceapi' = 'faceapi';
export type OnnxEngineId = `onnx-${string}`;
export type FaceEngineId = typeof FACEAPI_ENGINE | OnnxEngineId;
/** What face-api's descriptors are (records, cards and galleries name their embedding space). */
export const FACEAPI_EMBEDDING_SPACE = `${FACEAPI_ENGINE}-128`;
/** `faceapi` or `onnx-<name>` (the name as model folder names allow it). */
export const FACE_ENGINE_PATTERN = '^(faceapi|onnx-[A-Za-z0-9_-]{1,58})$';

export function isFaceEngineId(value: string): value is FaceEngineId {
  return new RegExp(FACE_ENGINE_PATTERN).test(value);
}

export function isOnnxEngine(engine: string | undefined): engine is OnnxEngineId {
  return engine?.startsWith('onnx-') === true;
}

/** A record or card from before engines were recorded was made by face-api. */
export function engineOf(value: { engine?: string | undefined }): string {
  return value.engine ?? FACEAPI_ENGINE;
}

/** A record's embedding space (records from before it was recorded: face-api's, or just the engine). */
export function embeddingSpaceOfRecord(value: {
  engine?: string | undefined;
  embeddingSpace?: string | undefined;
}): string {
  return (
    value.embeddingSpace ?? (engineOf(value) === FACEAPI_ENGINE ? FACEAPI_EMBEDDING_SPACE : engineOf(value))
  );
}
