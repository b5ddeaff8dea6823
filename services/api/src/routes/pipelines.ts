// Pipelines: one request runs download → extract → curate → pairs → train → enrol as one BullMQ flow;
// its state per stage can be read, or followed live as Server-Sent Events, and it can be cancelled.
import type { Config } from '@faceshot/shared/config';
import type { DatasetRepository } from '@faceshot/shared/datasets/dataset-repository';
import type { ModelRepository } from '@faceshot/shared/datasets/model-repository';
import type { PipelineEntry, PipelineRepository } from '@faceshot/shared/datasets/pipeline-repository';
import { HyperparametersSchema } from '@faceshot/shared/hyperparameters';
import { IdSchema } from '@faceshot/shared/ids';
import type { PayloadOf, QueueName } from '@faceshot/shared/queues/definitions';
import type { FlowNode, JobQueues } from '@faceshot/shared/queues/job-queues';
import type { FaceEngineId } from '@faceshot/shared/vision/face-engine-id';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { FaceEngineSchema, faceEngineOr409 } from '../face-engine-lookup.js';
import { identityOr400 } from '../identity-name.js';
import { removeUnlessRunning } from '../job-removal.js';
import { PipelineStatusSchema, pipelineStatus } from '../pipeline-status.js';
import { HttpProblem, ProblemSchema } from '../problem.js';
import { streamEvents } from '../server-sent-events.js';
import { DEFAULT_SEARCH_LIMIT } from './datasets.js';

export interface PipelineRouteDependencies {
  pipelines: PipelineRepository;
  models: ModelRepository;
  datasets: DatasetRepository;
  queues: JobQueues;
  extract: Config['extract'];
  /** How often a live stream re-reads the state. */
  eventIntervalMs: number;
}

const PipelineParams = Type.Object({ id: IdSchema });
const Identity = Type.String({ minLength: 1, maxLength: 128 });
const PipelineRequest = Type.Object(
  {
    datasetId: IdSchema,
    options: Type.Optional(
      Type.Object(
        {
          download: Type.Optional(
            Type.Object(
              {
                items: Type.Optional(
                  Type.Array(
                    Type.Object(
                      { identity: Identity, url: Type.String({ pattern: '^https?://', maxLength: 4096 }) },
                      { additionalProperties: false },
                    ),
                    { maxItems: 1000 },
                  ),
                ),
                queries: Type.Optional(
                  Type.Array(
                    Type.Object(
                      {
                        identity: Identity,
                        query: Type.String({ minLength: 1, maxLength: 256 }),
                        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
                      },
                      { additionalProperties: false },
                    ),
                    { maxItems: 100 },
                  ),
                ),
              },
              {
                additionalProperties: false,
                description: 'Photos to download first (URLs or name searches)',
              },
            ),
          ),
          keepPerIdentity: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
          engine: Type.Optional(
            Type.String({
              ...FaceEngineSchema,
              description:
                "What describes the faces: `faceapi` or an installed ONNX model `onnx-<name>`. Default: the engine that described most of the dataset's faces, else EXTRACT_ENGINE. Photos described by another engine are extracted again",
            }),
          ),
          architecture: Type.Optional(Type.Union([Type.Literal('transfer'), Type.Literal('seed')])),
          hyperparameters: Type.Optional(HyperparametersSchema),
          pairsPerClass: Type.Optional(Type.Integer({ minimum: 10, maximum: 1_000_000 })),
          validationShare: Type.Optional(Type.Number({ minimum: 0.05, maximum: 0.5 })),
          testShare: Type.Optional(Type.Number({ minimum: 0.05, maximum: 0.5 })),
          heldOutPhotos: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
          seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 })),
          enrolPhotosPerIdentity: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** Waiting jobs are removed; a running one finishes, but nothing after it runs (its parent is gone). */
const REMOVABLE = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children', 'failed', 'wait']);

export const pipelineRoutes: FastifyPluginAsyncTypebox<PipelineRouteDependencies> = async (app, deps) => {
  async function pipelineOr404(id: string): Promise<PipelineEntry> {
    const entry = await deps.pipelines.get(id);
    if (entry === undefined) throw new HttpProblem(404, `no pipeline "${id}"`);
    return entry;
  }

  app.post(
    '/v1/pipelines',
    {
      schema: {
        summary: 'Run download → extract → curate → pairs → train → enrol on a dataset as one flow',
        body: PipelineRequest,
        response: { 202: PipelineStatusSchema, 400: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema },
      },
    },
    async (request, reply) => {
      const { datasetId } = request.body;
      const options = request.body.options ?? {};
      if ((await deps.datasets.get(datasetId)) === undefined)
        throw new HttpProblem(404, `no dataset "${datasetId}"`);
      const downloads: PayloadOf<'download'>[] = [
        ...(options.download?.items ?? []).map((item) => ({
          datasetId,
          identity: identityOr400(item.identity),
          source: { kind: 'url' as const, url: item.url },
        })),
        ...(options.download?.queries ?? []).map((query) => ({
          datasetId,
          identity: identityOr400(query.identity),
          source: { kind: 'search' as const, query: query.query, limit: query.limit ?? DEFAULT_SEARCH_LIMIT },
        })),
      ];
      if (downloads.length === 0 && (await deps.datasets.images(datasetId)).length === 0) {
        throw new HttpProblem(409, `dataset "${datasetId}" has no photos and the pipeline downloads none`);
      }
      // The pattern admits only faceapi and onnx-<name>.
      const engine =
        options.engine === undefined
          ? undefined
          : await faceEngineOr409(deps.extract.onnxModelsDir, options.engine as FaceEngineId);
      const { modelId, pairsId } = deps.models.newIds();
      const seed = options.seed ?? 1;
      const architecture = options.architecture ?? 'transfer';
      const curate: FlowNode = {
        queue: 'curate',
        failsParent: true,
        payload: {
          datasetId,
          keepPerIdentity: options.keepPerIdentity ?? deps.extract.keepPerIdentity,
          extractFirst: true,
          ...(engine === undefined ? {} : { engine }),
        },
        // A failed download (a dead link) leaves the rest of the pipeline running.
        children: downloads.map((payload) => ({ queue: 'download', payload, failsParent: false })),
      };
      const flow = await deps.queues.enqueueTree({
        queue: 'enrol',
        payload: {
          action: 'enrol-dataset',
          modelId,
          datasetId,
          photosPerIdentity: options.enrolPhotosPerIdentity ?? 1,
        },
        children: [
          {
            queue: 'train',
            failsParent: true,
            payload: {
              modelId,
              pairsId,
              architecture,
              hyperparameters: { seed, ...(options.hyperparameters ?? {}) },
            },
            children: [
              {
                queue: 'pairs',
                failsParent: true,
                payload: {
                  datasetId,
                  pairsId,
                  seed,
                  pairsPerClass: options.pairsPerClass ?? 20_000,
                  validationShare: options.validationShare ?? 0.15,
                  testShare: options.testShare ?? 0.2,
                  ...(options.heldOutPhotos === undefined ? {} : { heldOutPhotos: options.heldOutPhotos }),
                },
                children: [curate],
              },
            ],
          },
        ],
      });
      const train = flow.children[0];
      const pairs = train?.children[0];
      const curateIds = pairs?.children[0];
      const entry: PipelineEntry = {
        id: deps.pipelines.newId(),
        datasetId,
        modelId,
        createdAt: new Date().toISOString(),
        jobs: {
          download: curateIds?.children.map((child) => child.id) ?? [],
          curate: curateIds?.id ?? '',
          pairs: pairs?.id ?? '',
          train: train?.id ?? '',
          enrol: flow.id,
        },
      };
      await deps.models.save({
        id: modelId,
        datasetId,
        architecture,
        pairsId,
        pairsJobId: entry.jobs.pairs,
        trainJobId: entry.jobs.train,
        enrolJobId: entry.jobs.enrol,
        createdAt: entry.createdAt,
      });
      await deps.pipelines.save(entry);
      return reply.code(202).send(await pipelineStatus(deps.queues, entry));
    },
  );

  app.get(
    '/v1/pipelines',
    {
      schema: {
        summary: 'Pipelines, newest first, with the state of every stage',
        response: { 200: Type.Object({ pipelines: Type.Array(PipelineStatusSchema) }) },
      },
    },
    async () => ({
      pipelines: await Promise.all(
        (await deps.pipelines.list()).map((entry) => pipelineStatus(deps.queues, entry)),
      ),
    }),
  );

  app.get(
    '/v1/pipelines/:id',
    {
      schema: {
        summary: "A pipeline's state: every stage with its state, progress and job counts",
        params: PipelineParams,
        response: { 200: PipelineStatusSchema, 404: ProblemSchema },
      },
    },
    async (request) => pipelineStatus(deps.queues, await pipelineOr404(request.params.id)),
  );

  app.get(
    '/v1/pipelines/:id/events',
    {
      schema: {
        summary: "A pipeline's progress as Server-Sent Events",
        description:
          'text/event-stream: an `event: progress` with the pipeline state (as GET /v1/pipelines/:id) whenever it ' +
          'changes, then `event: end` with the final state once it completed, failed or was cancelled.',
        params: PipelineParams,
        response: {
          200: {
            description: 'An event stream',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
          404: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const id = request.params.id;
      await pipelineOr404(id);
      await streamEvents(request, reply, {
        intervalMs: deps.eventIntervalMs,
        read: async () => {
          const status = await pipelineStatus(deps.queues, await pipelineOr404(id));
          return { data: status, done: status.state !== 'running' };
        },
      });
    },
  );

  app.delete(
    '/v1/pipelines/:id',
    {
      schema: {
        summary:
          'Cancel what has not finished: waiting jobs are removed; a running job finishes, nothing after it runs',
        params: PipelineParams,
        response: { 200: PipelineStatusSchema, 404: ProblemSchema },
      },
    },
    async (request) => {
      const entry = await pipelineOr404(request.params.id);
      if ((await pipelineStatus(deps.queues, entry)).state !== 'running') {
        return pipelineStatus(deps.queues, entry);
      }
      entry.cancelledAt = new Date().toISOString();
      await deps.pipelines.save(entry);
      // Root first: once a parent is gone, its children's completion moves nothing further.
      const jobs: [QueueName, string][] = [
        ['enrol', entry.jobs.enrol],
        ['train', entry.jobs.train],
        ['pairs', entry.jobs.pairs],
        ['curate', entry.jobs.curate],
        ...entry.jobs.download.map((id): [QueueName, string] => ['download', id]),
      ];
      const curateJob = await deps.queues.queue('curate').getJob(entry.jobs.curate);
      const pending = curateJob ? await curateJob.getDependencies({ unprocessed: { count: 100_000 } }) : {};
      for (const key of pending.unprocessed ?? []) {
        const [queue, id] = key.split(':').slice(-2);
        if (queue === 'extract' && id !== undefined) jobs.push(['extract', id]);
      }
      for (const [queue, id] of jobs) {
        const job = await deps.queues.queue(queue).getJob(id);
        if (job === undefined || job === null) continue;
        // A job a worker took meanwhile finishes (as documented); any other failure is an error.
        if (REMOVABLE.has(await job.getState())) await removeUnlessRunning(job, { removeChildren: false });
      }
      return pipelineStatus(deps.queues, entry);
    },
  );
};
