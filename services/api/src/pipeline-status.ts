// A pipeline's state, read from its jobs: one entry per stage with state, progress and job counts.
import type { PipelineEntry } from '@faceshot/shared/datasets/pipeline-repository';
import type { QueueName } from '@faceshot/shared/queues/definitions';
import type { JobQueues } from '@faceshot/shared/queues/job-queues';
import type { JobStatus } from '@faceshot/shared/queues/job-status';
import { Type } from '@sinclair/typebox';

export const STAGE_NAMES = ['download', 'extract', 'curate', 'pairs', 'train', 'enrol'] as const;
export type StageName = (typeof STAGE_NAMES)[number];
export type StageState = 'waiting' | 'active' | 'completed' | 'failed' | 'skipped' | 'cancelled';

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

function singleJobStage(
  name: StageName,
  jobId: string,
  status: JobStatus | undefined,
  cancelled: boolean,
): StageStatus {
  const base = { name, jobIds: [jobId] };
  if (status === undefined) {
    return {
      ...base,
      state: cancelled ? 'cancelled' : 'waiting',
      progress: 0,
      jobs: { total: 1, completed: 0, failed: 0 },
    };
  }
  const state: StageState =
    status.state === 'completed'
      ? 'completed'
      : status.state === 'failed'
        ? 'failed'
        : status.state === 'active'
          ? 'active'
          : cancelled
            ? 'cancelled'
            : 'waiting';
  return {
    ...base,
    state,
    progress: state === 'completed' ? 100 : status.progress,
    jobs: { total: 1, completed: state === 'completed' ? 1 : 0, failed: state === 'failed' ? 1 : 0 },
    ...(status.failedReason === undefined ? {} : { failedReason: status.failedReason }),
    ...(state === 'completed' ? { result: status.result } : {}),
  };
}

export async function pipelineStatus(queues: JobQueues, entry: PipelineEntry): Promise<PipelineStatus> {
  const cancelled = entry.cancelledAt !== undefined;
  const statusOf = (queue: QueueName, id: string) => queues.status(queue, id);
  const [downloads, curate, pairs, train, enrol] = await Promise.all([
    Promise.all(entry.jobs.download.map((id) => statusOf('download', id))),
    statusOf('curate', entry.jobs.curate),
    statusOf('pairs', entry.jobs.pairs),
    statusOf('train', entry.jobs.train),
    statusOf('enrol', entry.jobs.enrol),
  ]);

  const downloadsDone = downloads.filter((job) => job?.state === 'completed').length;
  const downloadsFailed = downloads.filter((job) => job?.state === 'failed').length;
  const downloadStage: StageStatus = {
    name: 'download',
    jobIds: entry.jobs.download,
    jobs: { total: downloads.length, completed: downloadsDone, failed: downloadsFailed },
    progress:
      downloads.length === 0 ? 100 : Math.round((100 * (downloadsDone + downloadsFailed)) / downloads.length),
    state:
      downloads.length === 0
        ? 'skipped'
        : downloadsDone + downloadsFailed === downloads.length
          ? 'completed'
          : downloads.some((job) => job?.state === 'active')
            ? 'active'
            : cancelled
              ? 'cancelled'
              : 'waiting',
  };

  // The curate job's children are the downloads (from the flow) and then the extract jobs it adds.
  const curateJob = await queues.queue('curate').getJob(entry.jobs.curate);
  const counts = curateJob ? await curateJob.getDependenciesCount() : {};
  const children =
    (counts.processed ?? 0) + (counts.unprocessed ?? 0) + (counts.ignored ?? 0) + (counts.failed ?? 0);
  const extractTotal = Math.max(0, children - downloads.length);
  const extractFailed = Math.max(0, (counts.ignored ?? 0) + (counts.failed ?? 0) - downloadsFailed);
  const extractDone = Math.max(0, (counts.processed ?? 0) - downloadsDone);
  const curateState = curate?.state;
  const extractFinished = extractTotal > 0 && extractDone + extractFailed === extractTotal;
  const extractStage: StageStatus = {
    name: 'extract',
    jobIds: [],
    jobs: { total: extractTotal, completed: extractDone, failed: extractFailed },
    progress: extractTotal === 0 ? 0 : Math.round((100 * (extractDone + extractFailed)) / extractTotal),
    state:
      curateState === 'completed' || (extractFinished && curateState !== 'waiting-children')
        ? extractTotal === 0
          ? 'skipped'
          : 'completed'
        : curateState === 'failed'
          ? 'failed'
          : curateState === 'waiting-children' && extractTotal > 0
            ? 'active'
            : cancelled
              ? 'cancelled'
              : 'waiting',
  };
  // While its extract children run, the curate job itself is only waiting.
  const curateStage = singleJobStage('curate', entry.jobs.curate, curate, cancelled);
  if (curateState === 'waiting-children') curateStage.state = cancelled ? 'cancelled' : 'waiting';
  if (curateState === 'active' && extractTotal > 0 && !extractFinished) curateStage.state = 'waiting';

  const stages = [
    downloadStage,
    extractStage,
    curateStage,
    singleJobStage('pairs', entry.jobs.pairs, pairs, cancelled),
    singleJobStage('train', entry.jobs.train, train, cancelled),
    singleJobStage('enrol', entry.jobs.enrol, enrol, cancelled),
  ];
  const failed = stages.find((stage) => stage.state === 'failed' && stage.name !== 'download');
  const state = cancelled
    ? 'cancelled'
    : failed !== undefined
      ? 'failed'
      : enrol?.state === 'completed'
        ? 'completed'
        : 'running';
  return {
    id: entry.id,
    datasetId: entry.datasetId,
    modelId: entry.modelId,
    createdAt: entry.createdAt,
    state,
    ...(failed?.failedReason === undefined ? {} : { failedReason: `${failed.name}: ${failed.failedReason}` }),
    stages,
  };
}
