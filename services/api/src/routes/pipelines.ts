// Pipelines: one request runs download → extract → curate → pairs → train → enrol as one BullMQ flow;
// its state per stage can be read, or followed live as Server-Sent Events, and it can be cancelled.
// The work is in services/pipelines.ts; these handlers are the HTTP side.
import { IdSchema } from '@faceshot/core/ids';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { FaceEngineSchema } from '../face-engine-lookup.js';
import { ProblemSchema } from '../problem.js';
import {
  ArchitectureSchema,
  DOWNLOAD_ITEMS_MAX,
  DOWNLOAD_QUERIES_MAX,
  DownloadQueryItem,
  DownloadUrlItem,
  TrainingFields,
} from '../request-schemas.js';
import { EventStreamResponse, streamEvents } from '../server-sent-events.js';
import { PipelineStatusSchema } from '../services/pipeline-status.js';
import { PipelineService, type PipelineServiceDependencies } from '../services/pipelines.js';

export interface PipelineRouteDependencies extends PipelineServiceDependencies {
  /** How often a live stream re-reads the state. */
  eventIntervalMs: number;
}

const PipelineParams = Type.Object({ id: IdSchema });
const PipelineRequest = Type.Object(
  {
    datasetId: IdSchema,
    options: Type.Optional(
      Type.Object(
        {
          download: Type.Optional(
            Type.Object(
              {
                items: Type.Optional(Type.Array(DownloadUrlItem, { maxItems: DOWNLOAD_ITEMS_MAX })),
                queries: Type.Optional(Type.Array(DownloadQueryItem, { maxItems: DOWNLOAD_QUERIES_MAX })),
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
          architecture: Type.Optional(ArchitectureSchema),
          ...TrainingFields,
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const pipelineRoutes: FastifyPluginAsyncTypebox<PipelineRouteDependencies> = async (app, deps) => {
  const pipelines = new PipelineService(deps);

  app.post(
    '/v1/pipelines',
    {
      schema: {
        summary: 'Run download → extract → curate → pairs → train → enrol on a dataset as one flow',
        body: PipelineRequest,
        response: { 202: PipelineStatusSchema, 400: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema },
      },
    },
    async (request, reply) => reply.code(202).send(await pipelines.start(request.body)),
  );

  app.get(
    '/v1/pipelines',
    {
      schema: {
        summary: 'Pipelines, newest first, with the state of every stage',
        response: { 200: Type.Object({ pipelines: Type.Array(PipelineStatusSchema) }) },
      },
    },
    async () => ({ pipelines: await pipelines.list() }),
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
    async (request) => pipelines.status(await pipelines.entryOr404(request.params.id)),
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
          200: EventStreamResponse,
          404: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const id = request.params.id;
      await pipelines.entryOr404(id);
      await streamEvents(request, reply, {
        intervalMs: deps.eventIntervalMs,
        read: async () => {
          const status = await pipelines.status(await pipelines.entryOr404(id));
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
    async (request) => pipelines.cancel(request.params.id),
  );
};
