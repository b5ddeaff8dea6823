// Models for the HTTP routes: start training (pairs → train → enrol), list and describe models (the
// trained ones, the built-in baseline and installed ONNX models), delete a trained one.

import { type BuiltInCard, type ModelCard, ModelCardSchema } from '@faceshot/core/contracts/model-card';
import type { DatasetRepository } from '@faceshot/core/datasets/dataset-repository';
import {
  BASELINE_MODEL_ID,
  type ModelEntry,
  type ModelRepository,
} from '@faceshot/core/datasets/model-repository';
import { FACEAPI_ENGINE } from '@faceshot/core/engines/face-engine-id';
import {
  OnnxModelError,
  type OnnxModelFolder,
  onnxModelName,
} from '@faceshot/core/engines/onnx/onnx-manifest';
import { findOnnxModel, listOnnxModels } from '@faceshot/core/engines/onnx/onnx-model-catalogue';
import type { GalleryRepository } from '@faceshot/core/gallery/gallery-repository';
import type { FlowIds, FlowNode, JobQueues } from '@faceshot/core/queues/job-queues';
import { parseWithSchema, SchemaError } from '@faceshot/core/schema';
import { storageKeys } from '@faceshot/core/storage/keys';
import { deletePrefix, ObjectNotFoundError, type ObjectStore } from '@faceshot/core/storage/object-store';
import { removeUnlessRunning } from '../job-removal.js';
import { HttpProblem } from '../problem.js';
import { modelStatus } from './stage-state.js';
import {
  chainStages,
  TRAINING_DEFAULTS,
  type TrainingRequest,
  trainingStages,
  unchainIds,
} from './training-flow.js';

export interface ModelServiceDependencies {
  models: ModelRepository;
  datasets: DatasetRepository;
  store: ObjectStore;
  queues: JobQueues;
  galleries: GalleryRepository;
  baselineThreshold: number;
  /** ONNX_MODELS_DIR: its valid model folders are listed as built-in `onnx-<name>` models. */
  onnxModelsDir: string | undefined;
}

/**
 * Enqueues `feeding` (stages that prepare the dataset, first to last; none for POST /v1/models), then
 * pairs → train → enrol after them as one flow, and saves the model entry. Returns the entry and the
 * ids of every stage, first to last (`feeding` first).
 */
export async function enqueueTraining(
  deps: { queues: JobQueues; models: ModelRepository },
  request: TrainingRequest,
  options: { feeding?: FlowNode[]; createdAt?: string } = {},
): Promise<{ entry: ModelEntry; stageIds: FlowIds[] }> {
  const ids = deps.models.newIds();
  const stages = [...(options.feeding ?? []), ...trainingStages(request, ids)];
  const stageIds = unchainIds(await deps.queues.enqueueTree(chainStages(stages)), stages.length);
  const jobId = (queue: FlowIds['queue']) => stageIds.find((stage) => stage.queue === queue)?.id;
  const enrolJobId = jobId('enrol');
  const entry: ModelEntry = {
    id: ids.modelId,
    datasetId: request.datasetId,
    architecture: request.architecture ?? TRAINING_DEFAULTS.architecture,
    pairsId: ids.pairsId,
    pairsJobId: jobId('pairs') ?? '',
    trainJobId: jobId('train') ?? '',
    ...(enrolJobId === undefined ? {} : { enrolJobId }),
    createdAt: options.createdAt ?? new Date().toISOString(),
  };
  await deps.models.save(entry);
  return { entry, stageIds };
}

export class ModelService {
  constructor(private readonly deps: ModelServiceDependencies) {}

  /** 404 without the dataset; else the training flow is queued and the new model's summary returned. */
  async train(request: TrainingRequest) {
    if ((await this.deps.datasets.get(request.datasetId)) === undefined)
      throw new HttpProblem(404, `no dataset "${request.datasetId}"`);
    const { entry } = await enqueueTraining(this.deps, request);
    return this.summary(entry);
  }

  /** Every model: the baseline, the installed ONNX models (a folder that is not one is logged), the trained. */
  async list(log: { warn(details: object, message: string): void }) {
    const { card: _card, ...builtIn } = await this.baseline();
    const onnx = await listOnnxModels(this.deps.onnxModelsDir);
    for (const problem of onnx.problems) log.warn({ problem }, 'ONNX model folder skipped');
    const installed = await Promise.all(
      onnx.models.map(async (folder) => {
        const { card: _onnxCard, ...entry } = await this.onnxBuiltIn(folder);
        return entry;
      }),
    );
    const trained = await Promise.all((await this.deps.models.list()).map((entry) => this.summary(entry)));
    return [builtIn, ...installed, ...trained];
  }

  /** One model with its card: 404 when unknown, 409 for an ONNX folder that is not usable. */
  async describe(id: string) {
    if (id === BASELINE_MODEL_ID) return this.baseline();
    if (onnxModelName(id) !== undefined) return this.onnxBuiltIn(await this.onnxModelOr404(id));
    const entry = await this.trainedOr404(id);
    return { ...(await this.summary(entry)), ...(await this.card(entry.id)) };
  }

  /** Deletes a trained model: its queued jobs, entry, gallery and files. Built-in models answer 409. */
  async delete(id: string): Promise<{ id: string; deletedObjects: number }> {
    if (id === BASELINE_MODEL_ID || onnxModelName(id) !== undefined) {
      throw new HttpProblem(
        409,
        `"${id}" is built in; delete its identities instead (an ONNX model: remove its folder)`,
      );
    }
    const entry = await this.trainedOr404(id);
    const { queues, store } = this.deps;
    // Jobs first: a removal that fails for another reason than "a worker has it" fails the request
    // (500) with the model still listed, so the delete can be retried.
    for (const [queue, jobId] of [
      ['enrol', entry.enrolJobId ?? ''],
      ['train', entry.trainJobId],
      ['pairs', entry.pairsJobId],
    ] as const) {
      const job = await queues.queue(queue).getJob(jobId);
      if (job && !(await job.isActive())) await removeUnlessRunning(job, { removeChildren: true });
    }
    await this.deps.models.delete(entry.id);
    await this.deps.galleries.drop(entry.id);
    const deletedObjects =
      (await deletePrefix(store, `models/${entry.id}/`)) +
      (await deletePrefix(store, `pairs/${entry.pairsId}/`)) +
      (await deletePrefix(store, storageKeys.galleryPrefix(entry.id)));
    return { id: entry.id, deletedObjects };
  }

  private async trainedOr404(id: string): Promise<ModelEntry> {
    const entry = await this.deps.models.get(id);
    if (entry === undefined) throw new HttpProblem(404, `no model "${id}"`);
    return entry;
  }

  private async summary(entry: ModelEntry) {
    const { queues, store, galleries } = this.deps;
    const [galleryIdentities, pairs, train, cardStat] = await Promise.all([
      galleries.count(entry.id),
      queues.status('pairs', entry.pairsJobId),
      queues.status('train', entry.trainJobId),
      store.stat(storageKeys.modelFile(entry.id, 'card.json')),
    ]);
    return { ...entry, ...modelStatus(cardStat !== undefined, pairs, train), galleryIdentities };
  }

  /** The stored card when it matches the card schema; otherwise why not (a card of another version). */
  private async card(id: string): Promise<{ card?: ModelCard; cardProblem?: string }> {
    let raw: unknown;
    try {
      raw = JSON.parse((await this.deps.store.get(storageKeys.modelFile(id, 'card.json'))).toString('utf8'));
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
  private async baseline() {
    return {
      ...builtInSummary(BASELINE_MODEL_ID, 'faceapi-baseline'),
      galleryIdentities: await this.deps.galleries.count(BASELINE_MODEL_ID),
      card: {
        modelId: BASELINE_MODEL_ID,
        architecture: 'faceapi-baseline' as const,
        description:
          "face-api's pretrained 128-d face descriptor (ResNet-34-like, trained by its authors on millions of faces), " +
          'compared by Euclidean distance; needs no training',
        threshold: this.deps.baselineThreshold,
        metrics: {},
        engine: FACEAPI_ENGINE,
        distance: 'euclidean',
        embeddingSize: 128,
      } satisfies BuiltInCard,
    };
  }

  /** An operator-installed ONNX model, listed like the baseline; its card is its manifest's summary. */
  private async onnxBuiltIn(folder: OnnxModelFolder) {
    const { manifest } = folder;
    return {
      ...builtInSummary(folder.id, 'onnx'),
      galleryIdentities: await this.deps.galleries.count(folder.id),
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
  private async onnxModelOr404(id: string): Promise<OnnxModelFolder> {
    try {
      const folder = await findOnnxModel(this.deps.onnxModelsDir, id);
      if (folder === undefined) throw new HttpProblem(404, `no model "${id}"`);
      return folder;
    } catch (error) {
      if (error instanceof OnnxModelError) throw new HttpProblem(409, error.message);
      throw error;
    }
  }
}

/** The summary fields of a model that needs no training: ready from the start, no jobs. */
function builtInSummary(id: string, architecture: string) {
  return {
    id,
    datasetId: '',
    architecture,
    status: 'ready',
    createdAt: new Date(0).toISOString(),
    pairsJobId: '',
    trainJobId: '',
  };
}
