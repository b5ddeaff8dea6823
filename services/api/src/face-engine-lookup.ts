// The face engine an extraction request names: face-api, or an ONNX model installed here. An
// unknown model is refused before any job is queued (rather than failing every extract job).

import {
  FACE_ENGINE_PATTERN,
  FACEAPI_ENGINE,
  type FaceEngineId,
} from '@faceshot/core/engines/face-engine-id';
import { OnnxModelError } from '@faceshot/core/engines/onnx/onnx-manifest';
import { findOnnxModel } from '@faceshot/core/engines/onnx/onnx-model-catalogue';
import { Type } from '@sinclair/typebox';
import { HttpProblem } from './problem.js';

export const FaceEngineSchema = Type.String({
  pattern: FACE_ENGINE_PATTERN,
  description:
    'What describes the faces: `faceapi` (its 128-d descriptor, after EXTRACT_DETECTOR) or an installed ONNX model `onnx-<name>`. Default: EXTRACT_ENGINE',
});

/** The engine if usable: 409 when the ONNX model is not installed or its folder is not a usable model. */
export async function faceEngineOr409(
  onnxModelsDir: string | undefined,
  engine: FaceEngineId,
): Promise<FaceEngineId> {
  if (engine === FACEAPI_ENGINE) return engine;
  try {
    if ((await findOnnxModel(onnxModelsDir, engine)) !== undefined) return engine;
  } catch (error) {
    if (error instanceof OnnxModelError) throw new HttpProblem(409, error.message);
    throw error;
  }
  throw new HttpProblem(
    409,
    `no ONNX model "${engine}" is installed (${onnxModelsDir === undefined ? 'ONNX_MODELS_DIR is not set' : `nothing in ${onnxModelsDir}`})`,
  );
}
