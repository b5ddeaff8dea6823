// Which models can answer: the built-in baseline always; an installed ONNX model while its folder is
// valid; a trained model once its card exists.
import { BASELINE_MODEL_ID, type ModelRepository } from '@faceshot/core/datasets/model-repository';
import { OnnxModelError, onnxModelName } from '@faceshot/core/engines/onnx/onnx-manifest';
import { findOnnxModel } from '@faceshot/core/engines/onnx/onnx-model-catalogue';
import type { QueueName } from '@faceshot/core/queues/definitions';
import type { WaitOutcome } from '@faceshot/core/queues/job-waiter';
import { storageKeys } from '@faceshot/core/storage/keys';
import type { ObjectStore } from '@faceshot/core/storage/object-store';
import { HttpProblem } from './problem.js';

export interface ModelLookup {
  models: ModelRepository;
  store: ObjectStore;
  /** ONNX_MODELS_DIR (undefined: no ONNX models). */
  onnxModelsDir: string | undefined;
}

/**
 * 404 for an unknown model (an `onnx-<name>` without its folder), 409 for one still training (or
 * failed) and for an ONNX model folder that is not usable (the reason says why).
 */
export async function assertModelServes(lookup: ModelLookup, modelId: string): Promise<void> {
  const { models, store } = lookup;
  if (modelId === BASELINE_MODEL_ID) return;
  if (onnxModelName(modelId) !== undefined) {
    let found: Awaited<ReturnType<typeof findOnnxModel>>;
    try {
      found = await findOnnxModel(lookup.onnxModelsDir, modelId);
    } catch (error) {
      if (error instanceof OnnxModelError) throw new HttpProblem(409, error.message);
      throw error;
    }
    if (found === undefined) throw new HttpProblem(404, `no model "${modelId}"`);
    return;
  }
  if ((await models.get(modelId)) === undefined) throw new HttpProblem(404, `no model "${modelId}"`);
  if ((await store.stat(storageKeys.modelFile(modelId, 'card.json'))) === undefined) {
    throw new HttpProblem(409, `model "${modelId}" is not trained yet; see GET /v1/models/${modelId}`);
  }
}

/** A finished synchronous job's result, or the problem that stands for how it ended. */
export function resultOr<Q extends QueueName>(outcome: WaitOutcome<Q>, what: string, timeoutMs: number) {
  if (outcome.state === 'timeout') {
    throw new HttpProblem(
      504,
      `${what} took longer than ${timeoutMs} ms (PREDICT_TIMEOUT_MS); the job was withdrawn`,
      {
        jobId: outcome.jobId,
      },
    );
  }
  if (outcome.state === 'failed') {
    throw new HttpProblem(500, `${what} failed: ${outcome.reason}`, { jobId: outcome.jobId });
  }
  return outcome.result;
}
