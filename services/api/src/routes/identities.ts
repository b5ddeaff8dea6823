// A model's gallery over HTTP. Enrolment (it embeds photos) goes through the enrol queue and the request
// waits for the result; renames, removals and reads go straight to the gallery repository
// (services/galleries.ts says why that is safe beside running enrol jobs).
import type { DatasetRepository } from '@faceshot/core/datasets/dataset-repository';
import type { ModelRepository } from '@faceshot/core/datasets/model-repository';
import type { GalleryIdentity, GalleryRepository } from '@faceshot/core/gallery/gallery-repository';
import { IdSchema } from '@faceshot/core/ids';
import type { JobQueues } from '@faceshot/core/queues/job-queues';
import type { JobWaiter } from '@faceshot/core/queues/job-waiter';
import { ObjectNotFoundError, type ObjectStore } from '@faceshot/core/storage/object-store';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { identityOr400 } from '../identity-name.js';
import { assertModelServes, resultOr } from '../model-lookup.js';
import { type PhotoUploadLimits, receivePhotos } from '../photo-uploads.js';
import { HttpProblem, ProblemSchema } from '../problem.js';
import { IdentityName } from '../request-schemas.js';
import { removeIdentity, renameIdentity } from '../services/galleries.js';

export interface IdentityRouteDependencies {
  queues: JobQueues;
  datasets: DatasetRepository;
  models: ModelRepository;
  galleries: GalleryRepository;
  store: ObjectStore;
  waiter: JobWaiter;
  uploads: PhotoUploadLimits;
  timeoutMs: number;
  onnxModelsDir: string | undefined;
}

/** Photos one enrol request may carry (the enrol job's limit). */
export const MAX_ENROL_PHOTOS = 100;

const ModelParams = Type.Object({ id: IdSchema });
const IdentityParams = Type.Object({ id: IdSchema, identity: IdentityName });
const Box = Type.Object({ x: Type.Number(), y: Type.Number(), width: Type.Number(), height: Type.Number() });
const IdentitySummary = Type.Object({
  identity: Type.String(),
  photos: Type.Integer(),
  enrolledAt: Type.String(),
  updatedAt: Type.String(),
});
const IdentityDetail = Type.Object({
  ...IdentitySummary.properties,
  photoList: Type.Array(
    Type.Object({ url: Type.String(), source: Type.String(), addedAt: Type.String(), sha256: Type.String() }),
  ),
});

const summary = (entry: GalleryIdentity) => ({
  identity: entry.identity,
  photos: entry.photos.length,
  enrolledAt: entry.enrolledAt,
  updatedAt: entry.updatedAt,
});

export const identityRoutes: FastifyPluginAsyncTypebox<IdentityRouteDependencies> = async (app, deps) => {
  const photoUrl = (modelId: string, identity: string, index: number) =>
    `/v1/models/${encodeURIComponent(modelId)}/identities/${encodeURIComponent(identity)}/photos/${index}`;

  async function identityOr404(modelId: string, identity: string): Promise<GalleryIdentity> {
    const entry = await deps.galleries.get(modelId, identity);
    if (entry === undefined) throw new HttpProblem(404, `model "${modelId}" has no identity "${identity}"`);
    return entry;
  }

  app.post(
    '/v1/models/:id/identities',
    {
      schema: {
        summary: 'Enrol a person from one or more photos (one is enough; no retraining)',
        description:
          `multipart/form-data: an "identity" field, then 1-${MAX_ENROL_PHOTOS} photo file parts. The primary ` +
          'face of each photo is added to the gallery; photos already enrolled for this identity are skipped.',
        consumes: ['multipart/form-data'],
        params: ModelParams,
        response: {
          201: Type.Object({
            ...IdentitySummary.properties,
            enrolled: Type.Integer({ description: 'Photos added by this request' }),
            results: Type.Array(
              Type.Object({
                photo: Type.Integer(),
                outcome: Type.String(),
                reason: Type.Optional(Type.String()),
                box: Type.Optional(Box),
              }),
            ),
            jobId: Type.String(),
          }),
          400: ProblemSchema,
          404: ProblemSchema,
          409: ProblemSchema,
          413: ProblemSchema,
          415: ProblemSchema,
          422: ProblemSchema,
          500: ProblemSchema,
          504: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const modelId = request.params.id;
      await assertModelServes(deps, modelId);
      const photos = await receivePhotos(request, deps.store, deps.uploads, {
        min: 1,
        max: MAX_ENROL_PHOTOS,
      });
      try {
        const identity = identityOr400((photos.fields.identity ?? '').trim());
        const outcome = await deps.waiter.run(
          'enrol',
          { action: 'enrol', modelId, identity, imageKeys: photos.keys },
          deps.timeoutMs,
        );
        const result = resultOr(outcome, 'enrolment', deps.timeoutMs);
        if (result.outcome === 'conflict') throw new HttpProblem(409, result.reason ?? 'gallery conflict');
        if (result.outcome === 'no-face') {
          throw new HttpProblem(422, `no face found in any photo for "${identity}"`, {
            results: result.photos,
          });
        }
        const entry = await identityOr404(modelId, identity);
        return reply.code(201).send({
          ...summary(entry),
          enrolled: result.enrolled,
          results: result.photos ?? [],
          jobId: outcome.jobId,
        });
      } finally {
        await photos.discard();
      }
    },
  );

  app.post(
    '/v1/models/:id/identities/from-dataset',
    {
      schema: {
        summary: "Enrol a curated dataset's people: the most typical kept faces of each (a job)",
        description:
          'For a model trained elsewhere, or faceapi-baseline. Answers 202 with the enrol job; follow it at ' +
          'GET /v1/jobs/enrol/{jobId}.',
        params: ModelParams,
        body: Type.Object(
          {
            datasetId: IdSchema,
            photosPerIdentity: Type.Integer({
              minimum: 0,
              maximum: 10_000,
              default: 1,
              description: '0 = every kept face',
            }),
          },
          { additionalProperties: false },
        ),
        response: {
          202: Type.Object({ jobId: Type.String(), queue: Type.Literal('enrol') }),
          404: ProblemSchema,
          409: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const modelId = request.params.id;
      await assertModelServes(deps, modelId);
      const { datasetId, photosPerIdentity } = request.body;
      if ((await deps.datasets.get(datasetId)) === undefined)
        throw new HttpProblem(404, `no dataset "${datasetId}"`);
      const jobId = await deps.queues.enqueue('enrol', {
        action: 'enrol-dataset',
        modelId,
        datasetId,
        photosPerIdentity,
      });
      return reply.code(202).send({ jobId, queue: 'enrol' as const });
    },
  );

  app.get(
    '/v1/models/:id/identities',
    {
      schema: {
        summary: "The people in a model's gallery",
        params: ModelParams,
        response: {
          200: Type.Object({
            modelId: Type.String(),
            embeddingSpace: Type.Optional(
              Type.String({
                description:
                  "What made the gallery's embeddings: `faceapi-128`, a trained model's id, or `onnx-<name>@<digest of its recognition net>`; absent for an empty gallery (or one enrolled before it was recorded)",
              }),
            ),
            identities: Type.Array(IdentitySummary),
          }),
          404: ProblemSchema,
          409: ProblemSchema,
        },
      },
    },
    async (request) => {
      const modelId = request.params.id;
      await assertModelServes(deps, modelId);
      const embeddingSpace = await deps.galleries.embeddingSpace(modelId);
      return {
        modelId,
        ...(embeddingSpace === undefined ? {} : { embeddingSpace }),
        identities: (await deps.galleries.list(modelId)).map(summary),
      };
    },
  );

  app.get(
    '/v1/models/:id/identities/:identity',
    {
      schema: {
        summary: 'One enrolled person and their reference photos',
        params: IdentityParams,
        response: { 200: IdentityDetail, 404: ProblemSchema, 409: ProblemSchema },
      },
    },
    async (request) => {
      const modelId = request.params.id;
      const identity = identityOr400(request.params.identity);
      await assertModelServes(deps, modelId);
      const entry = await identityOr404(modelId, identity);
      return {
        ...summary(entry),
        photoList: entry.photos.map((photo, index) => ({
          url: photoUrl(modelId, identity, index),
          source: photo.source,
          addedAt: photo.addedAt,
          sha256: photo.sha256,
        })),
      };
    },
  );

  app.get(
    '/v1/models/:id/identities/:identity/photos/:index',
    {
      schema: {
        summary: 'A reference photo of an enrolled person (the aligned face crop, PNG)',
        params: Type.Object({ ...IdentityParams.properties, index: Type.Integer({ minimum: 0 }) }),
        response: {
          200: {
            description: 'The aligned face crop as PNG',
            content: {
              'image/png': { schema: Type.Unsafe<Buffer>({ type: 'string', contentMediaType: 'image/png' }) },
            },
          },
          404: ProblemSchema,
          409: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const { id: modelId, index } = request.params;
      const identity = identityOr400(request.params.identity);
      await assertModelServes(deps, modelId);
      const photo = (await identityOr404(modelId, identity)).photos[index];
      if (photo === undefined) throw new HttpProblem(404, `"${identity}" has no photo ${index}`);
      try {
        const bytes = await deps.store.get(photo.photoKey);
        return reply.type('image/png').header('cache-control', 'private, max-age=3600').send(bytes);
      } catch (error) {
        if (error instanceof ObjectNotFoundError)
          throw new HttpProblem(404, `photo ${index} of "${identity}" is gone`);
        throw error;
      }
    },
  );

  app.patch(
    '/v1/models/:id/identities/:identity',
    {
      schema: {
        summary: 'Rename an enrolled person',
        params: IdentityParams,
        body: Type.Object({ identity: IdentityName }, { additionalProperties: false }),
        response: {
          200: IdentitySummary,
          400: ProblemSchema,
          404: ProblemSchema,
          409: ProblemSchema,
        },
      },
    },
    async (request) => {
      const modelId = request.params.id;
      const identity = identityOr400(request.params.identity);
      await assertModelServes(deps, modelId);
      const newIdentity = identityOr400(request.body.identity.trim());
      return summary(await renameIdentity(deps, modelId, identity, newIdentity));
    },
  );

  app.delete(
    '/v1/models/:id/identities/:identity',
    {
      schema: {
        summary: 'Remove a person from the gallery, with their embeddings and reference photos',
        params: IdentityParams,
        response: {
          200: Type.Object({ identity: Type.String(), deletedPhotos: Type.Integer() }),
          404: ProblemSchema,
          409: ProblemSchema,
        },
      },
    },
    async (request) => {
      const modelId = request.params.id;
      const identity = identityOr400(request.params.identity);
      await assertModelServes(deps, modelId);
      return removeIdentity(deps, modelId, identity);
    },
  );
};
