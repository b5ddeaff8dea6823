// Which engine turns a face into an embedding: face-api (its 68 landmarks and 128-d descriptor, after
// any of the detectors) or an operator-installed ONNX model (`onnx-<name>`, its own detector,
// landmarks and recognition net). Records, cards and galleries name it, so embeddings of different
// engines are never compared. No heavy imports: configuration and schemas read this file.
export const FACEAPI_ENGINE: 'faceapi' = 'faceapi';
export type OnnxEngineId = `onnx-${string}`;
export type FaceEngineId = typeof FACEAPI_ENGINE | OnnxEngineId;

export function isOnnxEngine(engine: string | undefined): engine is OnnxEngineId {
  return engine?.startsWith('onnx-') === true;
}

/** A record or card from before engines were recorded was made by face-api. */
export function engineOf(value: { engine?: string | undefined }): string {
  return value.engine ?? FACEAPI_ENGINE;
}
