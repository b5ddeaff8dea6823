import type { JobsOptions } from 'bullmq';
import type { Config } from '../config.js';

const DAY_SECONDS = 24 * 60 * 60;

/**
 * Retries with exponential backoff; finished jobs are kept long enough to be polled, but bounded so
 * Redis memory cannot grow without limit (7 days / 10k completed, 30 days / 10k failed per queue).
 */
export function defaultJobOptions(jobs: Config['jobs']): JobsOptions {
  return {
    attempts: jobs.attempts,
    backoff: { type: 'exponential', delay: jobs.backoffMs },
    removeOnComplete: { age: 7 * DAY_SECONDS, count: 10_000 },
    removeOnFail: { age: 30 * DAY_SECONDS, count: 10_000 },
  };
}
