// Training: POST /v1/models runs pairs then train as one flow; the card holds the result.

import type { DatasetRepository } from '@faceshot/shared/datasets/dataset-repository';
import type { ModelEntry, ModelRepository } from '@faceshot/shared/datasets/model-repository';
import type { JobQueues } from '@faceshot/shared/queues/job-queues';
import { storageKeys } from '@faceshot/shared/storage/keys';
import { deletePrefix, ObjectNotFoundError, type ObjectStore } from '@faceshot/shared/storage/object-store';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { HttpProblem, ProblemSchema } from '../problem.js';

export interface ModelRouteDependencies {
  models: ModelRepository;
  datasets: DatasetRepository;
  store: ObjectStore;
  queues: JobQueues;
}

const ModelParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const ModelSummary = Type.Object({
  id: Type.String(),
  datasetId: Type.String(),
  architecture: Type.String(),
  status: Type.String({ description: 'queued, building-pairs, training, ready or failed' }),
  createdAt: Type.String(),
  pairsJobId: Type.String(),
  trainJobId: Type.String(),
  failedReason: Type.Optional(Type.String()),
});

export const modelRoutes: FastifyPluginAsyncTypebox<ModelRouteDependencies> = async (app, deps) => {
  async function card(id: string): Promise<Record<string, unknown> | undefined> {
    try {
      return JSON.parse(
        (await deps.store.get(storageKeys.modelFile(id, 'card.json'))).toString('utf8'),
      ) as Record<string, unknown>;
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return undefined;
      throw error;
    }
  }

  async function summary(entry: ModelEntry) {
    const [pairs, train] = await Promise.all([
      deps.queues.status('pairs', entry.pairsJobId),
      deps.queues.status('train', entry.trainJobId),
    ]);
    const failed = pairs?.state === 'failed' ? pairs : train?.state === 'failed' ? train : undefined;
    const status = (await deps.store.stat(storageKeys.modelFile(entry.id, 'card.json')))
      ? 'ready'
      : failed
        ? 'failed'
        : train?.state === 'active'
          ? 'training'
          : pairs?.state === 'active'
            ? 'building-pairs'
            : 'queued';
    return { ...entry, status, ...(failed?.failedReason ? { failedReason: failed.failedReason } : {}) };
  }

  app.post(
    '/v1/models',
    {
      schema: {
        summary: 'Train a Siamese model on a curated dataset (pairs, then training)',
        body: Type.Object(
          {
            datasetId: Type.String({ minLength: 1, maxLength: 64 }),
            architecture: Type.Union([Type.Literal('transfer'), Type.Literal('seed')], {
              default: 'transfer',
            }),
            hyperparameters: Type.Optional(
              Type.Record(Type.String(), Type.Number(), {
                description: 'epochs, batchSize, learningRate, margin, patience, seed',
              }),
            ),
            pairsPerClass: Type.Optional(
              Type.Integer({ minimum: 10, maximum: 1_000_000, description: 'default 20000, as the seed' }),
            ),
            validationShare: Type.Optional(Type.Number({ minimum: 0.05, maximum: 0.5 })),
            testShare: Type.Optional(Type.Number({ minimum: 0.05, maximum: 0.5 })),
            seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 })),
          },
          { additionalProperties: false },
        ),
        response: { 202: ModelSummary, 404: ProblemSchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if ((await deps.datasets.get(body.datasetId)) === undefined)
        throw new HttpProblem(404, `no dataset "${body.datasetId}"`);
      const { modelId, pairsId } = deps.models.newIds();
      const seed = body.seed ?? 1;
      const { parentId, childIds } = await deps.queues.enqueueFlow(
        {
          queue: 'train',
          payload: {
            modelId,
            pairsId,
            architecture: body.architecture,
            hyperparameters: { seed, ...(body.hyperparameters ?? {}) },
          },
        },
        {
          queue: 'pairs',
          payloads: [
            {
              datasetId: body.datasetId,
              pairsId,
              seed,
              pairsPerClass: body.pairsPerClass ?? 20_000,
              validationShare: body.validationShare ?? 0.15,
              testShare: body.testShare ?? 0.2,
            },
          ],
        },
        // Training without its pairs is pointless: a failed pairs job fails the model.
        { failParentOnChildFailure: true },
      );
      const entry: ModelEntry = {
        id: modelId,
        datasetId: body.datasetId,
        architecture: body.architecture,
        pairsId,
        pairsJobId: childIds[0] ?? '',
        trainJobId: parentId,
        createdAt: new Date().toISOString(),
      };
      await deps.models.save(entry);
      return reply.code(202).send(await summary(entry));
    },
  );

  app.get(
    '/v1/models',
    {
      schema: {
        summary: 'Models and their status',
        response: { 200: Type.Object({ models: Type.Array(ModelSummary) }) },
      },
    },
    async () => ({ models: await Promise.all((await deps.models.list()).map(summary)) }),
  );

  app.get(
    '/v1/models/:id',
    {
      schema: {
        summary:
          "A model's status and, once trained, its card (config, data, split, metrics, threshold, timings)",
        params: ModelParams,
        response: {
          200: Type.Object({
            ...ModelSummary.properties,
            card: Type.Optional(Type.Object({}, { additionalProperties: true })),
          }),
          404: ProblemSchema,
        },
      },
    },
    async (request) => {
      const entry = await deps.models.get(request.params.id);
      if (entry === undefined) throw new HttpProblem(404, `no model "${request.params.id}"`);
      const found = await card(entry.id);
      return { ...(await summary(entry)), ...(found ? { card: found } : {}) };
    },
  );

  app.delete(
    '/v1/models/:id',
    {
      schema: {
        summary: 'Delete a model: its files, its pair files and its jobs if still queued',
        params: ModelParams,
        response: {
          200: Type.Object({ id: Type.String(), deletedObjects: Type.Integer() }),
          404: ProblemSchema,
        },
      },
    },
    async (request) => {
      const entry = await deps.models.get(request.params.id);
      if (entry === undefined) throw new HttpProblem(404, `no model "${request.params.id}"`);
      await deps.models.delete(entry.id);
      for (const [queue, id] of [
        ['train', entry.trainJobId],
        ['pairs', entry.pairsJobId],
      ] as const) {
        const job = await deps.queues.queue(queue).getJob(id);
        if (job && !(await job.isActive())) await job.remove({ removeChildren: true }).catch(() => undefined);
      }
      const deletedObjects =
        (await deletePrefix(deps.store, `models/${entry.id}/`)) +
        (await deletePrefix(deps.store, `pairs/${entry.pairsId}/`));
      return { id: entry.id, deletedObjects };
    },
  );
};
