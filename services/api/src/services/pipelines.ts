// Pipelines for the HTTP routes: start download → extract → curate → pairs → train → enrol as one
// flow, read its state, cancel what has not run.
import type { Config } from '@faceshot/core/config';
import type { DatasetRepository } from '@faceshot/core/datasets/dataset-repository';
import type { ModelRepository } from '@faceshot/core/datasets/model-repository';
import type { PipelineEntry, PipelineRepository } from '@faceshot/core/datasets/pipeline-repository';
import type { FaceEngineId } from '@faceshot/core/engines/face-engine-id';
import type { QueueName } from '@faceshot/core/queues/definitions';
import type { FlowNode, JobQueues } from '@faceshot/core/queues/job-queues';
import { faceEngineOr409 } from '../face-engine-lookup.js';
import { removeUnlessRunning } from '../job-removal.js';
import { HttpProblem } from '../problem.js';
import type { DownloadQuery, DownloadUrl } from '../request-schemas.js';
import { requestedDownloads } from './downloads.js';
import { enqueueTraining } from './models.js';
import { type PipelineStatus, pipelineStatus } from './pipeline-status.js';
import type { TrainingRequest } from './training-flow.js';

export interface PipelineServiceDependencies {
  pipelines: PipelineRepository;
  models: ModelRepository;
  datasets: DatasetRepository;
  queues: JobQueues;
  extract: Config['extract'];
}

export interface PipelineRequest {
  datasetId: string;
  options?: Omit<TrainingRequest, 'datasetId' | 'autoEnrol'> & {
    download?: { items?: DownloadUrl[]; queries?: DownloadQuery[] };
    keepPerIdentity?: number;
    engine?: string;
  };
}

/** Waiting jobs are removed; a running one finishes, but nothing after it runs (its parent is gone). */
const REMOVABLE = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children', 'failed', 'wait']);

export class PipelineService {
  constructor(private readonly deps: PipelineServiceDependencies) {}

  async entryOr404(id: string): Promise<PipelineEntry> {
    const entry = await this.deps.pipelines.get(id);
    if (entry === undefined) throw new HttpProblem(404, `no pipeline "${id}"`);
    return entry;
  }

  status(entry: PipelineEntry): Promise<PipelineStatus> {
    return pipelineStatus(this.deps.queues, entry);
  }

  async list(): Promise<PipelineStatus[]> {
    return Promise.all((await this.deps.pipelines.list()).map((entry) => this.status(entry)));
  }

  /**
   * 404 without the dataset, 409 when it has no photos and the request downloads none; else the flow
   * is queued: the downloads and curation (which extracts first), then the training stages.
   */
  async start(request: PipelineRequest): Promise<PipelineStatus> {
    const { datasetId } = request;
    const { download, keepPerIdentity, engine: requestedEngine, ...training } = request.options ?? {};
    const { datasets, extract } = this.deps;
    if ((await datasets.get(datasetId)) === undefined)
      throw new HttpProblem(404, `no dataset "${datasetId}"`);
    const downloads = requestedDownloads(download ?? {});
    if (downloads.length === 0 && (await datasets.images(datasetId)).length === 0) {
      throw new HttpProblem(409, `dataset "${datasetId}" has no photos and the pipeline downloads none`);
    }
    // The request schema admits only faceapi and onnx-<name>.
    const engine =
      requestedEngine === undefined
        ? undefined
        : await faceEngineOr409(extract.onnxModelsDir, requestedEngine as FaceEngineId);
    const curate: FlowNode = {
      queue: 'curate',
      failsParent: true,
      payload: {
        datasetId,
        keepPerIdentity: keepPerIdentity ?? extract.keepPerIdentity,
        extractFirst: true,
        ...(engine === undefined ? {} : { engine }),
      },
      // A failed download (a dead link) leaves the rest of the pipeline running.
      children: downloads.map(({ identity, source }) => ({
        queue: 'download',
        payload: { datasetId, identity, source },
        failsParent: false,
      })),
    };
    const createdAt = new Date().toISOString();
    const { entry: model, stageIds } = await enqueueTraining(
      this.deps,
      { ...training, datasetId, autoEnrol: true },
      { feeding: [curate], createdAt },
    );
    const [curateIds, pairs, train, enrol] = stageIds;
    const entry: PipelineEntry = {
      id: this.deps.pipelines.newId(),
      datasetId,
      modelId: model.id,
      createdAt,
      jobs: {
        download: curateIds?.children.map((child) => child.id) ?? [],
        curate: curateIds?.id ?? '',
        pairs: pairs?.id ?? '',
        train: train?.id ?? '',
        enrol: enrol?.id ?? '',
      },
    };
    await this.deps.pipelines.save(entry);
    return this.status(entry);
  }

  /** Cancels what has not finished (a pipeline that is not running is answered as it is). */
  async cancel(id: string): Promise<PipelineStatus> {
    const entry = await this.entryOr404(id);
    if ((await this.status(entry)).state !== 'running') return this.status(entry);
    entry.cancelledAt = new Date().toISOString();
    await this.deps.pipelines.save(entry);
    const { queues } = this.deps;
    // Last stage first: once a parent is gone, its children's completion moves nothing further.
    const jobs: [QueueName, string][] = [
      ['enrol', entry.jobs.enrol],
      ['train', entry.jobs.train],
      ['pairs', entry.jobs.pairs],
      ['curate', entry.jobs.curate],
      ...entry.jobs.download.map((jobId): [QueueName, string] => ['download', jobId]),
    ];
    const curateJob = await queues.queue('curate').getJob(entry.jobs.curate);
    const pending = curateJob ? await curateJob.getDependencies({ unprocessed: { count: 100_000 } }) : {};
    for (const key of pending.unprocessed ?? []) {
      const [queue, jobId] = key.split(':').slice(-2);
      if (queue === 'extract' && jobId !== undefined) jobs.push(['extract', jobId]);
    }
    for (const [queue, jobId] of jobs) {
      const job = await queues.queue(queue).getJob(jobId);
      if (job === undefined || job === null) continue;
      // A job a worker took meanwhile finishes (as documented); any other failure is an error.
      if (REMOVABLE.has(await job.getState())) await removeUnlessRunning(job, { removeChildren: false });
    }
    return this.status(entry);
  }
}
