// Removing a queued job on behalf of a delete or cancel. BullMQ refuses to remove a job that is
// locked (a worker took it meanwhile); that is a known outcome, not success, and any other failure
// is an error the caller reports instead of answering as if the job were gone.

/** What the routes need of a BullMQ job. */
export interface RemovableJob {
  id?: string | undefined;
  remove(options?: { removeChildren?: boolean }): Promise<void>;
  getState(): Promise<string>;
}

export type RemovalOutcome = 'removed' | 'gone' | 'running';

export async function removeUnlessRunning(
  job: RemovableJob,
  options: { removeChildren: boolean },
): Promise<RemovalOutcome> {
  try {
    await job.remove(options);
    return 'removed';
  } catch (error) {
    // The state after the failure says what happened: taken by a worker, or gone on its own.
    const state = await job.getState();
    if (state === 'active') return 'running';
    if (state === 'unknown' || state === 'completed') return 'gone';
    throw error;
  }
}
