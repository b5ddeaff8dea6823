// Extraction, curation and the curated faces of a dataset.

import type { Readable } from 'node:stream';
import type { Config } from '@faceshot/core/config';
import type { Curation, FaceRecord } from '@faceshot/core/contracts/face-record';
import { CurationSchema, FaceRecordSchema } from '@faceshot/core/contracts/face-record';
import type { Dataset, DatasetRepository } from '@faceshot/core/datasets/dataset-repository';
import type { FaceEngineId } from '@faceshot/core/engines/face-engine-id';
import { IdSchema } from '@faceshot/core/ids';
import type { JobQueues } from '@faceshot/core/queues/job-queues';
import { storageKeys } from '@faceshot/core/storage/keys';
import type { ObjectStore } from '@faceshot/core/storage/object-store';
import { readStoredDocument } from '@faceshot/core/storage/stored-document';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, Type } from '@sinclair/typebox';
import { datasetOr404 as findDataset } from '../dataset-lookup.js';
import { FaceEngineSchema, faceEngineOr409 } from '../face-engine-lookup.js';
import { identityOr400 } from '../identity-name.js';
import { HttpProblem, ProblemSchema } from '../problem.js';

export interface FaceRouteDependencies {
  datasets: DatasetRepository;
  store: ObjectStore;
  queues: JobQueues;
  extract: Config['extract'];
}

const Status = Type.Union([Type.Literal('kept'), Type.Literal('rejected'), Type.Literal('pending')]);
const FaceSchema = Type.Object({
  faceId: Type.String(),
  identity: Type.String(),
  status: Status,
  outcome: Type.String({ description: 'Extraction outcome: face, no-face or rejected' }),
  reason: Type.Optional(Type.String()),
  overridden: Type.Boolean(),
  distance: Type.Optional(Type.Number()),
  score: Type.Optional(Type.Number()),
  faceCount: Type.Integer(),
  blur: Type.Optional(Type.Number()),
  imageUrl: Type.Optional(Type.String()),
  grayUrl: Type.Optional(Type.String()),
});
type Face = Static<typeof FaceSchema>;
const Params = Type.Object({ id: IdSchema });
const FaceParams = Type.Object({
  id: Params.properties.id,
  faceId: Type.String({ pattern: '^[0-9a-f]{64}$' }),
});
const KeepPerIdentity = Type.Integer({ minimum: 1, maximum: 10_000 });
const KeepBody = Type.Object(
  { keepPerIdentity: Type.Optional(KeepPerIdentity) },
  { additionalProperties: false },
);
const ExtractBody = Type.Object(
  { keepPerIdentity: Type.Optional(KeepPerIdentity), engine: Type.Optional(FaceEngineSchema) },
  { additionalProperties: false },
);

export const faceRoutes: FastifyPluginAsyncTypebox<FaceRouteDependencies> = async (app, deps) => {
  const datasetOr404 = (id: string): Promise<Dataset> => findDataset(deps.datasets, id);

  function describe(
    dataset: Dataset,
    record: FaceRecord,
    curation: Curation | undefined,
    overrides: Map<string, 'kept' | 'rejected'>,
  ): Face {
    const decision = curation?.faces[record.faceId];
    const override = overrides.get(record.faceId);
    const status = override ?? decision?.status ?? (record.outcome === 'face' ? 'pending' : 'rejected');
    const face: Face = {
      faceId: record.faceId,
      identity: record.identity,
      status,
      outcome: record.outcome,
      overridden: override !== undefined,
      faceCount: record.faceCount,
    };
    const reason =
      status === 'rejected'
        ? (decision?.reason ?? record.reason ?? (override ? 'rejected by a person' : undefined))
        : undefined;
    if (reason !== undefined) face.reason = reason;
    if (decision?.distance !== undefined) face.distance = decision.distance;
    if (record.score !== undefined) face.score = Number(record.score.toFixed(4));
    if (record.blur !== undefined) face.blur = Number(record.blur.toFixed(1));
    if (record.faceKey !== undefined) {
      face.imageUrl = `/v1/datasets/${dataset.id}/faces/${record.faceId}/image`;
      face.grayUrl = `/v1/datasets/${dataset.id}/faces/${record.faceId}/image?variant=gray`;
    }
    return face;
  }

  async function recordOr404(dataset: Dataset, faceId: string): Promise<FaceRecord> {
    const entry = await deps.datasets.image(dataset.id, faceId);
    const record =
      entry === undefined
        ? undefined
        : await readStoredDocument(
            deps.store,
            storageKeys.faceRecord(dataset.id, entry.identity, faceId),
            FaceRecordSchema,
          );
    if (record === undefined)
      throw new HttpProblem(404, `dataset "${dataset.id}" has no extracted face "${faceId}"`);
    return record;
  }

  app.post(
    '/v1/datasets/:id/extract',
    {
      schema: {
        summary:
          'Extract the face of every raw photo, then curate (one extract job per photo, then one curate job)',
        params: Params,
        body: ExtractBody,
        response: {
          202: Type.Object({
            curateJobId: Type.String(),
            extractJobIds: Type.Array(Type.String()),
            engine: Type.String({ description: 'The engine describing the faces' }),
          }),
          404: ProblemSchema,
          409: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const dataset = await datasetOr404(request.params.id);
      const images = await deps.datasets.images(dataset.id);
      if (images.length === 0) throw new HttpProblem(409, `dataset "${dataset.id}" has no photos yet`);
      // The pattern admits only faceapi and onnx-<name>.
      const engine = await faceEngineOr409(
        deps.extract.onnxModelsDir,
        (request.body.engine as FaceEngineId | undefined) ?? deps.extract.engine,
      );
      const { parentId, childIds } = await deps.queues.enqueueFlow(
        {
          queue: 'curate',
          payload: {
            datasetId: dataset.id,
            keepPerIdentity: request.body.keepPerIdentity ?? deps.extract.keepPerIdentity,
            engine,
          },
        },
        {
          queue: 'extract',
          payloads: images.map((image) => ({
            datasetId: dataset.id,
            identity: image.identity,
            rawKey: image.key,
            sha256: image.sha256,
            engine,
          })),
        },
      );
      return reply.code(202).send({ curateJobId: parentId, extractJobIds: childIds, engine });
    },
  );

  app.post(
    '/v1/datasets/:id/curate',
    {
      schema: {
        summary: 'Curate the extracted faces again (overrides are kept)',
        params: Params,
        body: KeepBody,
        response: { 202: Type.Object({ jobId: Type.String() }), 404: ProblemSchema },
      },
    },
    async (request, reply) => {
      const dataset = await datasetOr404(request.params.id);
      const jobId = await deps.queues.enqueue('curate', {
        datasetId: dataset.id,
        keepPerIdentity: request.body.keepPerIdentity ?? deps.extract.keepPerIdentity,
      });
      return reply.code(202).send({ jobId });
    },
  );

  app.get(
    '/v1/datasets/:id/faces',
    {
      schema: {
        summary: 'Extracted faces with their curation status',
        params: Params,
        querystring: Type.Object({
          identity: Type.Optional(Type.String({ maxLength: 128 })),
          status: Type.Optional(Status),
        }),
        response: { 200: Type.Object({ faces: Type.Array(FaceSchema) }), 404: ProblemSchema },
      },
    },
    async (request) => {
      // Checked before use: "../x" or "a/b" would otherwise reach the storage key builder (500).
      const identity =
        request.query.identity === undefined ? undefined : identityOr400(request.query.identity);
      const dataset = await datasetOr404(request.params.id);
      const curation = await readStoredDocument(deps.store, storageKeys.curation(dataset.id), CurationSchema);
      const overrides = await deps.datasets.faceOverrides(dataset.id);
      const prefix =
        identity === undefined
          ? `${storageKeys.datasetPrefix(dataset.id)}records/`
          : storageKeys.identityPrefix(dataset.id, 'records', identity);
      const faces: Face[] = [];
      for await (const object of deps.store.list(prefix)) {
        const record = await readStoredDocument(deps.store, object.key, FaceRecordSchema);
        if (record === undefined) continue;
        const face = describe(dataset, record, curation, overrides);
        if (request.query.status === undefined || face.status === request.query.status) faces.push(face);
      }
      faces.sort((a, b) => a.identity.localeCompare(b.identity) || (a.distance ?? 9) - (b.distance ?? 9));
      return { faces };
    },
  );

  app.get(
    '/v1/datasets/:id/faces/:faceId/image',
    {
      schema: {
        summary: 'The aligned face as PNG: colour (default) or the grey training input',
        params: FaceParams,
        querystring: Type.Object({
          variant: Type.Optional(Type.Union([Type.Literal('face'), Type.Literal('gray')])),
        }),
        response: {
          200: {
            description: 'The face as PNG',
            // The handler streams the file; the schema documents it (a string of PNG bytes).
            content: {
              'image/png': {
                schema: Type.Unsafe<Readable>({ type: 'string', contentMediaType: 'image/png' }),
              },
            },
          },
          404: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const dataset = await datasetOr404(request.params.id);
      const record = await recordOr404(dataset, request.params.faceId);
      const key = request.query.variant === 'gray' ? record.grayKey : record.faceKey;
      if (key === undefined) throw new HttpProblem(404, `no face was found in photo "${record.faceId}"`);
      const stream = await deps.store.getStream(key);
      return reply.type('image/png').header('cache-control', 'private, max-age=3600').send(stream);
    },
  );

  app.patch(
    '/v1/datasets/:id/faces/:faceId',
    {
      schema: {
        summary: 'Override curation for one face; the decision survives re-curation',
        params: FaceParams,
        body: Type.Object(
          { status: Type.Union([Type.Literal('kept'), Type.Literal('rejected')]) },
          { additionalProperties: false },
        ),
        response: { 200: FaceSchema, 404: ProblemSchema, 409: ProblemSchema },
      },
    },
    async (request) => {
      const dataset = await datasetOr404(request.params.id);
      const record = await recordOr404(dataset, request.params.faceId);
      if (request.body.status === 'kept' && record.outcome !== 'face') {
        throw new HttpProblem(409, `photo "${record.faceId}" has no face to keep (${record.outcome})`);
      }
      await deps.datasets.setFaceOverride(dataset.id, record.faceId, request.body.status);
      const curation = await readStoredDocument(deps.store, storageKeys.curation(dataset.id), CurationSchema);
      return describe(dataset, record, curation, await deps.datasets.faceOverrides(dataset.id));
    },
  );
};
