// Training: POST /v1/models runs pairs then train as one flow; the card holds the result. The work is
// in services/models.ts; these handlers are the HTTP side.
import { AnyCardSchema } from '@faceshot/core/contracts/model-card';
import { IdSchema } from '@faceshot/core/ids';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ProblemSchema } from '../problem.js';
import { ArchitectureSchema, TrainingFields } from '../request-schemas.js';
import { ModelService, type ModelServiceDependencies } from '../services/models.js';

export type ModelRouteDependencies = ModelServiceDependencies;

const ModelParams = Type.Object({ id: IdSchema });
const ModelSummary = Type.Object({
  id: Type.String(),
  datasetId: Type.String(),
  architecture: Type.String(),
  status: Type.String({ description: 'queued, building-pairs, training, ready or failed' }),
  createdAt: Type.String(),
  pairsJobId: Type.String(),
  trainJobId: Type.String(),
  enrolJobId: Type.Optional(Type.String()),
  galleryIdentities: Type.Integer({ description: 'People enrolled in the gallery' }),
  failedReason: Type.Optional(Type.String()),
});

export const modelRoutes: FastifyPluginAsyncTypebox<ModelRouteDependencies> = async (app, deps) => {
  const models = new ModelService(deps);

  app.post(
    '/v1/models',
    {
      schema: {
        summary: 'Train a Siamese model on a curated dataset (pairs, then training)',
        body: Type.Object(
          {
            datasetId: IdSchema,
            architecture: Type.Union(ArchitectureSchema.anyOf, { default: 'transfer' }),
            ...TrainingFields,
            autoEnrol: Type.Optional(
              Type.Boolean({
                default: true,
                description:
                  "Enrol the dataset's people into the model's gallery once trained (default true)",
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 202: ModelSummary, 404: ProblemSchema },
      },
    },
    async (request, reply) => reply.code(202).send(await models.train(request.body)),
  );

  app.get(
    '/v1/models',
    {
      schema: {
        summary: 'Models and their status',
        response: { 200: Type.Object({ models: Type.Array(ModelSummary) }) },
      },
    },
    async (request) => ({ models: await models.list(request.log) }),
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
            card: Type.Optional(AnyCardSchema),
            cardProblem: Type.Optional(
              Type.String({ description: 'Set when the stored card does not match the card schema' }),
            ),
          }),
          404: ProblemSchema,
          409: ProblemSchema,
        },
      },
    },
    async (request) => models.describe(request.params.id),
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
          409: ProblemSchema,
        },
      },
    },
    async (request) => models.delete(request.params.id),
  );
};
