import type { Limits } from '@faceshot/core/config';
import {
  type Dataset,
  DatasetNameTakenError,
  type DatasetRepository,
  MAX_DATASET_NAME_LENGTH,
} from '@faceshot/core/datasets/dataset-repository';
import { summarizeDataset } from '@faceshot/core/datasets/dataset-summary';
import {
  FileTooLargeError,
  type IngestOutcome,
  ingestSpooledImage,
  type SpooledFile,
} from '@faceshot/core/datasets/ingest-image';
import { IdSchema } from '@faceshot/core/ids';
import type { JobQueues } from '@faceshot/core/queues/job-queues';
import { assertValidIdentity, storageKeys } from '@faceshot/core/storage/keys';
import { deletePrefix, type ObjectStore } from '@faceshot/core/storage/object-store';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, Type } from '@sinclair/typebox';
import { datasetOr404 as findDataset } from '../dataset-lookup.js';
import { identityOr400 } from '../identity-name.js';
import { HttpProblem, ProblemSchema } from '../problem.js';
import {
  DOWNLOAD_ITEMS_MAX,
  DOWNLOAD_QUERIES_MAX,
  DownloadQueryItem,
  DownloadUrlItem,
  IdentityName,
} from '../request-schemas.js';
import { requestedDownloads } from '../services/downloads.js';
import { UploadReader } from '../upload-reader.js';

export interface DatasetRouteDependencies {
  datasets: DatasetRepository;
  store: ObjectStore;
  queues: JobQueues;
  limits: Limits;
  tempDir: string;
  /** An upload that sends nothing for this long fails with 408. */
  bodyIdleTimeoutMs: number;
}

const DatasetSchema = Type.Object({ id: Type.String(), name: Type.String(), createdAt: Type.String() });
const DatasetParams = Type.Object({ id: IdSchema });

const FileResult = Type.Object({
  filename: Type.String(),
  identity: Type.Optional(Type.String()),
  outcome: Type.Union([Type.Literal('stored'), Type.Literal('duplicate'), Type.Literal('rejected')]),
  sha256: Type.Optional(Type.String()),
  key: Type.Optional(Type.String()),
  /** For duplicates: the identity the same bytes are stored under. */
  duplicateOf: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String()),
});
type FileResultType = Static<typeof FileResult>;

export const DownloadRequest = Type.Union([
  Type.Object(
    { items: Type.Array(DownloadUrlItem, { minItems: 1, maxItems: DOWNLOAD_ITEMS_MAX }) },
    { additionalProperties: false },
  ),
  Type.Object(
    { queries: Type.Array(DownloadQueryItem, { minItems: 1, maxItems: DOWNLOAD_QUERIES_MAX }) },
    { additionalProperties: false },
  ),
]);

/** "alice/photo.jpg" → identity "alice": the folder directly above the file names the person. */
function splitPartPath(filename: string): { identity?: string; name: string } {
  const parts = filename.split('/').filter((part) => part !== '');
  const name = parts.pop() ?? filename;
  const identity = parts.pop();
  return identity === undefined ? { name } : { identity, name };
}

export const datasetRoutes: FastifyPluginAsyncTypebox<DatasetRouteDependencies> = async (app, deps) => {
  const datasetOr404 = (id: string): Promise<Dataset> => findDataset(deps.datasets, id);

  app.post(
    '/v1/datasets',
    {
      schema: {
        summary: 'Create a dataset',
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: MAX_DATASET_NAME_LENGTH, pattern: '\\S' }) },
          { additionalProperties: false },
        ),
        response: { 201: DatasetSchema, 409: ProblemSchema },
      },
    },
    async (request, reply) => {
      try {
        const dataset = await deps.datasets.create(request.body.name.trim());
        return reply.code(201).send(dataset);
      } catch (error) {
        if (error instanceof DatasetNameTakenError) {
          throw new HttpProblem(409, `a dataset named "${request.body.name}" exists`, {
            datasetId: error.existingId,
          });
        }
        throw error;
      }
    },
  );

  app.get(
    '/v1/datasets',
    {
      schema: {
        summary: 'List datasets',
        querystring: Type.Object({
          name: Type.Optional(Type.String({ maxLength: MAX_DATASET_NAME_LENGTH })),
        }),
        response: { 200: Type.Object({ datasets: Type.Array(DatasetSchema) }) },
      },
    },
    async (request) => {
      if (request.query.name !== undefined) {
        const found = await deps.datasets.findByName(request.query.name);
        return { datasets: found === undefined ? [] : [found] };
      }
      return { datasets: await deps.datasets.list() };
    },
  );

  app.get(
    '/v1/datasets/:id',
    {
      schema: {
        summary: 'A dataset with image counts per identity and stage',
        params: DatasetParams,
        response: {
          200: Type.Object({
            ...DatasetSchema.properties,
            identities: Type.Array(
              Type.Object({
                identity: Type.String(),
                raw: Type.Integer(),
                faces: Type.Integer(),
                gray: Type.Integer(),
              }),
            ),
            totals: Type.Object({ raw: Type.Integer(), faces: Type.Integer(), gray: Type.Integer() }),
          }),
          404: ProblemSchema,
        },
      },
    },
    async (request) => {
      const dataset = await datasetOr404(request.params.id);
      const identities = await summarizeDataset(deps.store, dataset.id);
      const totals = { raw: 0, faces: 0, gray: 0 };
      for (const row of identities) {
        totals.raw += row.raw;
        totals.faces += row.faces;
        totals.gray += row.gray;
      }
      return { ...dataset, identities, totals };
    },
  );

  app.delete(
    '/v1/datasets/:id',
    {
      schema: {
        summary: 'Delete a dataset and every object under it',
        params: DatasetParams,
        response: {
          200: Type.Object({ id: Type.String(), deletedObjects: Type.Integer() }),
          404: ProblemSchema,
        },
      },
    },
    async (request) => {
      const dataset = await datasetOr404(request.params.id);
      // The record goes first so no new upload or download lands in a half-deleted dataset.
      await deps.datasets.delete(dataset);
      const deletedObjects = await deletePrefix(deps.store, storageKeys.datasetPrefix(dataset.id));
      return { id: dataset.id, deletedObjects };
    },
  );

  app.delete(
    '/v1/datasets/:id/identities/:identity',
    {
      schema: {
        summary: 'Delete one person: raw photos and everything derived from them',
        params: Type.Object({ id: DatasetParams.properties.id, identity: IdentityName }),
        response: {
          200: Type.Object({ identity: Type.String(), deletedObjects: Type.Integer() }),
          400: ProblemSchema,
          404: ProblemSchema,
        },
      },
    },
    async (request) => {
      const dataset = await datasetOr404(request.params.id);
      const identity = identityOr400(request.params.identity);
      const removed = await deps.datasets.removeIdentity(dataset.id, identity);
      let deletedObjects = 0;
      for (const stage of ['raw', 'faces', 'gray', 'records'] as const) {
        deletedObjects += await deletePrefix(
          deps.store,
          storageKeys.identityPrefix(dataset.id, stage, identity),
        );
      }
      if (removed.length === 0 && deletedObjects === 0) {
        throw new HttpProblem(404, `dataset "${dataset.id}" has no identity "${identity}"`);
      }
      return { identity, deletedObjects };
    },
  );

  app.post(
    '/v1/datasets/:id/images',
    {
      schema: {
        summary:
          'Upload photos (multipart): each file part named "<identity>/<file>", or after an "identity" field',
        params: DatasetParams,
        consumes: ['multipart/form-data'],
        response: {
          200: Type.Object({
            datasetId: Type.String(),
            files: Type.Array(FileResult),
            counts: Type.Object({
              stored: Type.Integer(),
              duplicate: Type.Integer(),
              rejected: Type.Integer(),
            }),
          }),
          400: ProblemSchema,
          404: ProblemSchema,
          413: ProblemSchema,
          415: ProblemSchema,
        },
      },
    },
    async (request) => {
      const dataset = await datasetOr404(request.params.id);
      if (!request.isMultipart()) throw new HttpProblem(415, 'send photos as multipart/form-data');
      const files: FileResultType[] = [];
      let currentIdentity: string | undefined;
      const reader = new UploadReader(request, deps.bodyIdleTimeoutMs);
      try {
        for (let part = await reader.next(); part !== undefined; part = await reader.next()) {
          if (part.type === 'field') {
            if (part.fieldname === 'identity') currentIdentity = String(part.value).trim();
            continue;
          }
          const fromPath = splitPartPath(part.filename ?? '');
          const identity = fromPath.identity ?? currentIdentity;
          const result: FileResultType = { filename: fromPath.name, outcome: 'rejected' };
          if (identity !== undefined) result.identity = identity;
          files.push(result);
          if (identity === undefined) {
            result.reason =
              'no identity: name the part "<identity>/<file>" or send an "identity" field before it';
            await reader.skip(part.file);
            continue;
          }
          try {
            assertValidIdentity(identity);
          } catch (error) {
            result.reason = error instanceof Error ? error.message : String(error);
            await reader.skip(part.file);
            continue;
          }
          let spooled: SpooledFile | undefined;
          try {
            spooled = await reader.spool(part.file, deps.tempDir, deps.limits.imageMaxBytes);
            if (part.file.truncated) throw new FileTooLargeError(deps.limits.imageMaxBytes);
            const outcome: IngestOutcome = await ingestSpooledImage(
              { store: deps.store, datasets: deps.datasets, maxPixels: deps.limits.imageMaxPixels },
              {
                datasetId: dataset.id,
                identity,
                file: spooled,
                source: { kind: 'upload', filename: fromPath.name },
              },
            );
            result.outcome = outcome.outcome;
            if (outcome.outcome === 'rejected') result.reason = outcome.reason;
            else {
              result.sha256 = outcome.sha256;
              result.key = outcome.key;
              if (outcome.outcome === 'duplicate') result.duplicateOf = outcome.identity;
            }
          } catch (error) {
            if (!(error instanceof FileTooLargeError)) throw error;
            result.reason = error.message;
            await reader.skip(part.file);
          } finally {
            await spooled?.discard();
          }
        }
      } finally {
        reader.close();
      }
      if (files.length === 0) throw new HttpProblem(400, 'the request holds no file parts');
      const counts = { stored: 0, duplicate: 0, rejected: 0 };
      for (const file of files) counts[file.outcome] += 1;
      return { datasetId: dataset.id, files, counts };
    },
  );

  app.post(
    '/v1/datasets/:id/downloads',
    {
      schema: {
        summary: 'Download photos from URLs, or search for them by name; one job per URL or query',
        params: DatasetParams,
        body: DownloadRequest,
        response: {
          202: Type.Object({
            datasetId: Type.String(),
            jobs: Type.Array(
              Type.Object({
                jobId: Type.String(),
                queue: Type.Literal('download'),
                identity: Type.String(),
                url: Type.Optional(Type.String()),
                query: Type.Optional(Type.String()),
              }),
            ),
          }),
          400: ProblemSchema,
          404: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const dataset = await datasetOr404(request.params.id);
      const body = request.body;
      const requested = requestedDownloads(body);
      const ids = await deps.queues.enqueueMany(
        'download',
        requested.map((item) => ({ datasetId: dataset.id, identity: item.identity, source: item.source })),
      );
      const jobs = requested.map(({ source: _source, ...item }, index) => ({
        jobId: ids[index] ?? '',
        queue: 'download' as const,
        ...item,
      }));
      return reply.code(202).send({ datasetId: dataset.id, jobs });
    },
  );
};
