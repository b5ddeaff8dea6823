// How a job's BullMQ state reads as the state of a stage, and of a model being trained: one mapping for
// the model routes and the pipeline status alike.
import type { JobStatus } from '@faceshot/core/queues/job-status';

export type StageState = 'waiting' | 'active' | 'completed' | 'failed' | 'skipped' | 'cancelled';

/** A stage of one job; a job not (or no longer) in its queue is waiting, or cancelled with its pipeline. */
export function jobStageState(status: JobStatus | undefined, cancelled: boolean): StageState {
  switch (status?.state) {
    case 'completed':
      return 'completed';
    case 'failed':
      return 'failed';
    case 'active':
      return 'active';
    default:
      return cancelled ? 'cancelled' : 'waiting';
  }
}

export type ModelStatus = 'queued' | 'building-pairs' | 'training' | 'ready' | 'failed';

/**
 * A trained model's status: ready once its card is written; else failed when its pairs or train job
 * failed (with that job's reason), else the stage that runs.
 */
export function modelStatus(
  cardWritten: boolean,
  pairs: JobStatus | undefined,
  train: JobStatus | undefined,
): { status: ModelStatus; failedReason?: string } {
  const failed = [pairs, train].find((job) => jobStageState(job, false) === 'failed');
  const failedReason = failed?.failedReason ? { failedReason: failed.failedReason } : {};
  if (cardWritten) return { status: 'ready', ...failedReason };
  if (failed !== undefined) return { status: 'failed', ...failedReason };
  if (jobStageState(train, false) === 'active') return { status: 'training' };
  if (jobStageState(pairs, false) === 'active') return { status: 'building-pairs' };
  return { status: 'queued' };
}
