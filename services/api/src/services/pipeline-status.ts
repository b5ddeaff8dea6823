// A pipeline's state, read from its jobs: one entry per stage with state, progress and job counts.
// `readPipelineJobs` asks the queues; `pipelineStatusOf` derives the state from what they said (pure).
import type { PipelineEntry } from '@faceshot/core/datasets/pipeline-repository';
import type { QueueName } from '@faceshot/core/queues/definitions';
import type { JobQueues } from '@faceshot/core/queues/job-queues';
import type { JobStatus } from '@faceshot/core/queues/job-status';
import { Type } from '@sinclair/typebox';
import { jobStageState, type StageState } from './stage-state.js';

export type { StageState } from './stage-state.js';

export const STAGE_NAMES = ['download', 'extract', 'curate', 'pairs', 'train', 'enrol'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

export const PipelineStatusSchema = Type.Object({
  id: Type.String(),
  datasetId: Type.String(),
  modelId: Type.String(),
  createdAt: Type.String(),
  state: Type.Union([
    Type.Literal('running'),
    Type.Literal('completed'),
    Type.Literal('failed'),
    Type.Literal('cancelled'),
  ]),
  failedReason: Type.Optional(Type.String()),
  stages: Type.Array(
    Type.Object({
      name: Type.String(),
      state: Type.String({ description: 'waiting, active, completed, failed, skipped or cancelled' }),
      progress: Type.Union([Type.Number(), Type.Object({}, { additionalProperties: true })]),
      jobs: Type.Object({ total: Type.Integer(), completed: Type.Integer(), failed: Type.Integer() }),
      jobIds: Type.Array(Type.String()),
      failedReason: Type.Optional(Type.String()),
      result: Type.Optional(Type.Unknown()),
    }),
  ),
});

export interface StageStatus {
  name: StageName;
  state: StageState;
  progress: number | Record<string, unknown>;
  jobs: { total: number; completed: number; failed: number };
  jobIds: string[];
  failedReason?: string;
  result?: unknown;
}

export interface PipelineStatus {
  id: string;
  datasetId: string;
  modelId: string;
  createdAt: string;
  state: 'running' | 'completed' | 'failed' | 'cancelled';
  failedReason?: string;
  stages: StageStatus[];
}

/** What the queues say of a pipeline's jobs. */
export interface PipelineJobs {
  downloads: (JobStatus | undefined)[];
  curate: JobStatus | undefined;
  pairs: JobStatus | undefined;
  train: JobStatus | undefined;
  enrol: JobStatus | undefined;
  /**
   * The curate job's children by state (BullMQ's dependency counts): the downloads of the flow, then
   * the extract jobs curation adds.
   */
  curateChildren: { processed?: number; unprocessed?: number; ignored?: number; failed?: number };
}

export async function readPipelineJobs(queues: JobQueues, entry: PipelineEntry): Promise<PipelineJobs> {
  const statusOf = (queue: QueueName, id: string) => queues.status(queue, id);
  const [downloads, curate, pairs, train, enrol] = await Promise.all([
    Promise.all(entry.jobs.download.map((id) => statusOf('download', id))),
    statusOf('curate', entry.jobs.curate),
    statusOf('pairs', entry.jobs.pairs),
    statusOf('train', entry.jobs.train),
    statusOf('enrol', entry.jobs.enrol),
  ]);
  const curateJob = await queues.queue('curate').getJob(entry.jobs.curate);
  const curateChildren = curateJob ? await curateJob.getDependenciesCount() : {};
  return { downloads, curate, pairs, train, enrol, curateChildren };
}

export async function pipelineStatus(queues: JobQueues, entry: PipelineEntry): Promise<PipelineStatus> {
  return pipelineStatusOf(entry, await readPipelineJobs(queues, entry));
}

function singleJobStage(
  name: StageName,
  jobId: string,
  status: JobStatus | undefined,
  cancelled: boolean,
): StageStatus {
  const state = jobStageState(status, cancelled);
  const completed = state === 'completed';
  return {
    name,
    jobIds: [jobId],
    state,
    progress: completed ? 100 : (status?.progress ?? 0),
    jobs: { total: 1, completed: completed ? 1 : 0, failed: state === 'failed' ? 1 : 0 },
    ...(status?.failedReason === undefined ? {} : { failedReason: status.failedReason }),
    ...(completed ? { result: status?.result } : {}),
  };
}

/** A stage of several jobs: done when every job ended (completed or failed), active while one runs. */
function fanOutState(
  counts: { total: number; completed: number; failed: number },
  anyActive: boolean,
  cancelled: boolean,
): StageState {
  if (counts.total === 0) return 'skipped';
  if (counts.completed + counts.failed === counts.total) return 'completed';
  if (anyActive) return 'active';
  return cancelled ? 'cancelled' : 'waiting';
}

const percent = (part: number, total: number) => Math.round((100 * part) / total);

function downloadStage(
  entry: PipelineEntry,
  downloads: PipelineJobs['downloads'],
  cancelled: boolean,
): StageStatus {
  const jobs = {
    total: downloads.length,
    completed: downloads.filter((job) => job?.state === 'completed').length,
    failed: downloads.filter((job) => job?.state === 'failed').length,
  };
  const anyActive = downloads.some((job) => job?.state === 'active');
  return {
    name: 'download',
    jobIds: entry.jobs.download,
    jobs,
    progress: jobs.total === 0 ? 100 : percent(jobs.completed + jobs.failed, jobs.total),
    state: fanOutState(jobs, anyActive, cancelled),
  };
}

/**
 * The extract jobs are not in the entry (curation adds them when it starts): their counts are the
 * curate job's children less the downloads. They ran once curation went on (or all ended while it
 * was not waiting for them); they are active while curation waits for them.
 */
function extractStage(jobs: PipelineJobs, downloads: StageStatus['jobs'], cancelled: boolean): StageStatus {
  const counts = jobs.curateChildren;
  const children =
    (counts.processed ?? 0) + (counts.unprocessed ?? 0) + (counts.ignored ?? 0) + (counts.failed ?? 0);
  const total = Math.max(0, children - downloads.total);
  const failed = Math.max(0, (counts.ignored ?? 0) + (counts.failed ?? 0) - downloads.failed);
  const completed = Math.max(0, (counts.processed ?? 0) - downloads.completed);
  const curateState = jobs.curate?.state;
  const finished = total > 0 && completed + failed === total;
  const stage = {
    name: 'extract' as const,
    jobIds: [],
    jobs: { total, completed, failed },
    progress: total === 0 ? 0 : percent(completed + failed, total),
  };
  if (curateState === 'completed' || (finished && curateState !== 'waiting-children'))
    return { ...stage, state: total === 0 ? 'skipped' : 'completed' };
  if (curateState === 'failed') return { ...stage, state: 'failed' };
  if (curateState === 'waiting-children' && total > 0) return { ...stage, state: 'active' };
  return { ...stage, state: cancelled ? 'cancelled' : 'waiting' };
}

/** While its extract children run, the curate job itself is only waiting. */
function curateStage(
  entry: PipelineEntry,
  jobs: PipelineJobs,
  extract: StageStatus,
  cancelled: boolean,
): StageStatus {
  const stage = singleJobStage('curate', entry.jobs.curate, jobs.curate, cancelled);
  const { total, completed, failed } = extract.jobs;
  const extractUnfinished = total > 0 && completed + failed < total;
  if (jobs.curate?.state === 'waiting-children') stage.state = cancelled ? 'cancelled' : 'waiting';
  if (jobs.curate?.state === 'active' && extractUnfinished) stage.state = 'waiting';
  return stage;
}

function overallState(
  cancelled: boolean,
  failed: StageStatus | undefined,
  enrol: JobStatus | undefined,
): PipelineStatus['state'] {
  if (cancelled) return 'cancelled';
  if (failed !== undefined) return 'failed';
  return enrol?.state === 'completed' ? 'completed' : 'running';
}

/** The pipeline's state from its jobs' (pure). A failed download does not fail the pipeline. */
export function pipelineStatusOf(entry: PipelineEntry, jobs: PipelineJobs): PipelineStatus {
  const cancelled = entry.cancelledAt !== undefined;
  const download = downloadStage(entry, jobs.downloads, cancelled);
  const extract = extractStage(jobs, download.jobs, cancelled);
  const stages: StageStatus[] = [
    download,
    extract,
    curateStage(entry, jobs, extract, cancelled),
    singleJobStage('pairs', entry.jobs.pairs, jobs.pairs, cancelled),
    singleJobStage('train', entry.jobs.train, jobs.train, cancelled),
    singleJobStage('enrol', entry.jobs.enrol, jobs.enrol, cancelled),
  ];
  const failed = stages.find((stage) => stage.state === 'failed' && stage.name !== 'download');
  return {
    id: entry.id,
    datasetId: entry.datasetId,
    modelId: entry.modelId,
    createdAt: entry.createdAt,
    state: overallState(cancelled, failed, jobs.enrol),
    ...(failed?.failedReason === undefined ? {} : { failedReason: `${failed.name}: ${failed.failedReason}` }),
    stages,
  };
}
