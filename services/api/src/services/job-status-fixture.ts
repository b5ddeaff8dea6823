// Job statuses as the queues report them, for the state derivation tests.
import type { JobStatus } from '@faceshot/core/queues/job-status';

export function job(state: JobStatus['state'], extra: Partial<JobStatus> = {}): JobStatus {
  return {
    id: '1',
    queue: 'train',
    state,
    progress: 0,
    attempts: 0,
    maxAttempts: 1,
    timestamps: { created: new Date(0).toISOString() },
    ...extra,
  };
}
