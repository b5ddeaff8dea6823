// Training: POST /v1/models runs pairs then train as one flow; the card holds the result.

import type { DatasetRepository } from '@faceshot/shared/datasets/dataset-repository';
import {
  AnyCardSchema,
  type BuiltInCard,
  type ModelCard,
  ModelCardSchema,
} from '@faceshot/shared/datasets/model-card';
import {
  BASELINE_MODEL_ID,
  type ModelEntry,
  type ModelRepository,
} from '@faceshot/shared/datasets/model-repository';
import type { GalleryRepository } from '@faceshot/shared/gallery/gallery-repository';
import { HyperparametersSchema } from '@faceshot/shared/hyperparameters';
import { IdSchema } from '@faceshot/shared/ids';
import type { JobQueues } from '@faceshot/shared/queues/job-queues';
import { parseWithSchema, SchemaError } from '@faceshot/shared/schema';
import { storageKeys } from '@faceshot/shared/storage/keys';
import { deletePrefix, ObjectNotFoundError, type ObjectStore } from '@faceshot/shared/storage/object-store';
import { FACEAPI_ENGINE } from '@faceshot/shared/vision/face-engine-id';
import {
  OnnxModelError,
  type OnnxModelFolder,
  onnxModelName,
} from '@faceshot/shared/vision/onnx/onnx-manifest';
import { findOnnxModel, listOnnxModels } from '@faceshot/shared/vision/onnx/onnx-model-catalogue';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { removeUnlessRunning } from '../job-removal.js';
import { HttpProblem, ProblemSchema } from '../problem.js';

export interface ModelRouteDependencies {
  models: ModelRepository;
  datasets: DatasetRepository;
  store: ObjectStore;
  queues: JobQueues;
  galleries: GalleryRepository;
  baselineThreshold: number;
  /** ONNX_MODELS_DIR: its valid model folders are listed as built-in `onnx-<name>` models. */
  onnxModelsDir: string | undefined;
}

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
  /** The stored card when it matches the card schema; otherwise why not (a card of another version). */
  async function card(id: string): Promise<{ card?: ModelCard; cardProblem?: string }> {
    let raw: unknown;
    try {
      raw = JSON.parse((await deps.store.get(storageKeys.modelFile(id, 'card.json'))).toString('utf8'));
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return {};
      throw error;
    }
    try {
      return { card: parseWithSchema(ModelCardSchema, raw, 'model card') };
    } catch (error) {
      if (!(error instanceof SchemaError)) throw error;
      return { cardProblem: `${error.message} (written by an older version? retrain the model)` };
    }
  }

  /** The built-in model, listed like a trained one; its card says what it is. */
  async function baseline() {
    return {
      id: BASELINE_MODEL_ID,
      datasetId: '',
      architecture: 'faceapi-baseline',
      status: 'ready',
      createdAt: new Date(0).toISOString(),
      pairsJobId: '',
      trainJobId: '',
      galleryIdentities: await deps.galleries.count(BASELINE_MODEL_ID),
      card: {
        modelId: BASELINE_MODEL_ID,
        architecture: 'faceapi-baseline' as const,
        description:
          "face-api's pretrained 128-d face descriptor (ResNet-34-like, trained by its authors on millions of faces), " +
          'compared by Euclidean distance; needs no training',
        threshold: deps.baselineThreshold,
        metrics: {},
        engine: FACEAPI_ENGINE,
        distance: 'euclidean',
        embeddingSize: 128,
      } satisfies BuiltInCard,
    };
  }

  /** An operator-installed ONNX model, listed like the baseline; its card is its manifest's summary. */
  async function onnxBuiltIn(folder: OnnxModelFolder) {
    const { manifest } = folder;
    return {
      id: folder.id,
      datasetId: '',
      architecture: 'onnx',
      status: 'ready',
      createdAt: new Date(0).toISOString(),
      pairsJobId: '',
      trainJobId: '',
      galleryIdentities: await deps.galleries.count(folder.id),
      card: {
        modelId: folder.id,
        architecture: 'onnx' as const,
        description:
          manifest.description ??
          `ONNX face model installed by the operator (folder "${folder.name}" of ONNX_MODELS_DIR)`,
        threshold: manifest.threshold,
        metrics: {},
        engine: folder.id,
        distance: manifest.distance,
        embeddingSize: manifest.recognition.output.size,
        ...(manifest.licence === undefined ? {} : { licence: manifest.licence }),
      } satisfies BuiltInCard,
    };
  }

  /** The ONNX model of an `onnx-<name>` id: 404 when not installed, 409 when its folder is not usable. */
  async function onnxModelOr404(id: string): Promise<OnnxModelFolder> {
    try {
      const folder = await findOnnxModel(deps.onnxModelsDir, id);
      if (folder === undefined) throw new HttpProblem(404, `no model "${id}"`);
      return folder;
    } catch (error) {
      if (error instanceof OnnxModelError) throw new HttpProblem(409, error.message);
      throw error;
    }
  }

  async function summary(entry: ModelEntry) {
    const galleryIdentities = await deps.galleries.count(entry.id);
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
    return {
      ...entry,
      status,
      galleryIdentities,
      ...(failed?.failedReason ? { failedReason: failed.failedReason } : {}),
    };
  }

  app.post(
    '/v1/models',
    {
      schema: {
        summary: 'Train a Siamese model on a curated dataset (pairs, then training)',
        body: Type.Object(
          {
            datasetId: IdSchema,
            architecture: Type.Union([Type.Literal('transfer'), Type.Literal('seed')], {
              default: 'transfer',
            }),
            hyperparameters: Type.Optional(HyperparametersSchema),
            pairsPerClass: Type.Optional(
              Type.Integer({ minimum: 10, maximum: 1_000_000, description: 'default 20000, as the seed' }),
            ),
            validationShare: Type.Optional(Type.Number({ minimum: 0.05, maximum: 0.5 })),
            testShare: Type.Optional(Type.Number({ minimum: 0.05, maximum: 0.5 })),
            heldOutPhotos: Type.Optional(
              Type.Integer({
                minimum: 0,
                maximum: 1000,
                description:
                  'Photos per person held out of training and of the gallery to measure the model on its own people ' +
                  "(protocol b); at most half of anyone's photos (default 5)",
              }),
            ),
            seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 })),
            autoEnrol: Type.Optional(
              Type.Boolean({
                default: true,
                description:
                  "Enrol the dataset's people into the model's gallery once trained (default true)",
              }),
            ),
            enrolPhotosPerIdentity: Type.Optional(
              Type.Integer({
                minimum: 0,
                maximum: 10_000,
                description:
                  "After training, enrol the dataset's people into the model's gallery with this many reference " +
                  'photos each, the most typical first (default 1; 0 = every kept face)',
              }),
            ),
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
      // pairs → train → enrol the dataset's people; a failed pairs or train job fails what follows.
      const training = {
        queue: 'train' as const,
        failsParent: true,
        payload: {
          modelId,
          pairsId,
          architecture: body.architecture,
          hyperparameters: { seed, ...(body.hyperparameters ?? {}) },
        },
        children: [
          {
            queue: 'pairs' as const,
            failsParent: true,
            payload: {
              datasetId: body.datasetId,
              pairsId,
              seed,
              pairsPerClass: body.pairsPerClass ?? 20_000,
              validationShare: body.validationShare ?? 0.15,
              testShare: body.testShare ?? 0.2,
              ...(body.heldOutPhotos === undefined ? {} : { heldOutPhotos: body.heldOutPhotos }),
            },
          },
        ],
      };
      const flow =
        body.autoEnrol === false
          ? await deps.queues.enqueueTree(training)
          : await deps.queues.enqueueTree({
              queue: 'enrol',
              payload: {
                action: 'enrol-dataset',
                modelId,
                datasetId: body.datasetId,
                photosPerIdentity: body.enrolPhotosPerIdentity ?? 1,
              },
              children: [training],
            });
      const trainJob = flow.queue === 'train' ? flow : flow.children[0];
      const entry: ModelEntry = {
        id: modelId,
        datasetId: body.datasetId,
        architecture: body.architecture,
        pairsId,
        pairsJobId: trainJob?.children[0]?.id ?? '',
        trainJobId: trainJob?.id ?? '',
        ...(flow.queue === 'enrol' ? { enrolJobId: flow.id } : {}),
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
    async (request) => {
      const { card: _card, ...builtIn } = await baseline();
      const onnx = await listOnnxModels(deps.onnxModelsDir);
      // A folder that is not a usable model is not listed; the log says why.
      for (const problem of onnx.problems) request.log.warn({ problem }, 'ONNX model folder skipped');
      const installed = await Promise.all(
        onnx.models.map(async (folder) => {
          const { card: _onnxCard, ...entry } = await onnxBuiltIn(folder);
          return entry;
        }),
      );
      return {
        models: [builtIn, ...installed, ...(await Promise.all((await deps.models.list()).map(summary)))],
      };
    },
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
    async (request) => {
      if (request.params.id === BASELINE_MODEL_ID) return baseline();
      if (onnxModelName(request.params.id) !== undefined)
        return onnxBuiltIn(await onnxModelOr404(request.params.id));
      const entry = await deps.models.get(request.params.id);
      if (entry === undefined) throw new HttpProblem(404, `no model "${request.params.id}"`);
      return { ...(await summary(entry)), ...(await card(entry.id)) };
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
          409: ProblemSchema,
        },
      },
    },
    async (request) => {
      if (request.params.id === BASELINE_MODEL_ID || onnxModelName(request.params.id) !== undefined) {
        throw new HttpProblem(
          409,
          `"${request.params.id}" is built in; delete its identities instead (an ONNX model: remove its folder)`,
        );
      }
      const entry = await deps.models.get(request.params.id);
      if (entry === undefined) throw new HttpProblem(404, `no model "${request.params.id}"`);
      // Jobs first: a removal that fails for another reason than "a worker has it" fails the request
      // (500) with the model still listed, so the delete can be retried.
      for (const [queue, id] of [
        ['enrol', entry.enrolJobId ?? ''],
        ['train', entry.trainJobId],
        ['pairs', entry.pairsJobId],
      ] as const) {
        const job = await deps.queues.queue(queue).getJob(id);
        if (job && !(await job.isActive())) await removeUnlessRunning(job, { removeChildren: true });
      }
      await deps.models.delete(entry.id);
      await deps.galleries.drop(entry.id);
      const deletedObjects =
        (await deletePrefix(deps.store, `models/${entry.id}/`)) +
        (await deletePrefix(deps.store, `pairs/${entry.pairsId}/`)) +
        (await deletePrefix(deps.store, storageKeys.galleryPrefix(entry.id)));
      return { id: entry.id, deletedObjects };
    },
  );
};
