// The curation settings for the descriptors of an engine: face-api's own (DEFAULT_CURATION), or an
// installed ONNX model's metric and threshold (curationFor). The curate stage and the trained-model
// benchmark both ask here.

import { FACEAPI_ENGINE } from '@faceshot/core/engines/face-engine-id';
import { embeddingSpaceOf, findOnnxModel } from '@faceshot/core/engines/onnx/onnx-model-catalogue';
import { PermanentJobError } from '@faceshot/core/queues/permanent-job-error';
import { type CurationParams, curationFor, DEFAULT_CURATION } from './curation.js';

/** PermanentJobError when the engine is an ONNX model that is not installed (or not usable) here. */
export async function curationSettingsFor(
  engine: string,
  onnxModelsDir: string | undefined,
): Promise<Omit<CurationParams, 'keepPerIdentity'>> {
  if (engine === FACEAPI_ENGINE) return DEFAULT_CURATION;
  const folder = await findOnnxModel(onnxModelsDir, engine).catch((error: Error) => {
    throw new PermanentJobError(error.message);
  });
  if (folder === undefined)
    throw new PermanentJobError(
      `cannot curate faces described by ${engine}: no such ONNX model here (ONNX_MODELS_DIR ${onnxModelsDir ?? 'is not set'})`,
    );
  const { distance, threshold } = folder.manifest;
  return curationFor(await embeddingSpaceOf(folder), distance, threshold);
}
