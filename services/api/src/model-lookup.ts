// Which models can answer: the built-in baseline always; a trained model once its card exists.
import { BASELINE_MODEL_ID, type ModelRepository } from '@faceshot/shared/datasets/model-repository';
import type { QueueName } from '@faceshot/shared/queues/definitions';
import type { WaitOutcome } from '@faceshot/shared/queues/job-waiter';
import { storageKeys } from '@faceshot/shared/storage/keys';
import type { ObjectStore } from '@faceshot/shared/storage/object-store';
import { HttpProblem } from './problem.js';

/** 404 for an unknown model, 409 for one still training (or failed). */
export async function assertModelServes(
  models: ModelRepository,
  store: ObjectStore,
  modelId: string,
): Promise<void> {
  if (modelId === BASELINE_MODEL_ID) return;
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
