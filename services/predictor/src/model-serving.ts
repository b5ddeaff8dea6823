// Models and their galleries kept in memory between jobs (bounded, least recently used first out).
// A gallery is re-read when its version in Redis moved (an enrol, rename or delete anywhere), so every
// predictor answers with the current gallery at the cost of one GET per job.
import { BASELINE_MODEL_ID, type ModelRepository } from '@faceshot/core/datasets/model-repository';
import type { DetectorName } from '@faceshot/core/engines/detector-name';
import { onnxModelName } from '@faceshot/core/engines/onnx/onnx-manifest';
import {
  embeddingSpaceOf,
  findOnnxModel,
  installedEmbeddingSpace,
} from '@faceshot/core/engines/onnx/onnx-model-catalogue';
import type { GalleryRepository } from '@faceshot/core/gallery/gallery-repository';
import { PermanentJobError } from '@faceshot/core/queues/permanent-job-error';
import type { ObjectStore } from '@faceshot/core/storage/object-store';
import {
  baselineEmbedder,
  type Embedder,
  loadTrainedEmbedder,
  onnxEmbedder,
} from '@faceshot/vision/embedders';
import type * as TF from '@tensorflow/tfjs';
import { LRUCache } from 'lru-cache';
import { GalleryIndex } from './gallery-index.js';

export interface ServingDependencies {
  store: ObjectStore;
  models: ModelRepository;
  galleries: GalleryRepository;
  loadTensorflow(): Promise<{ tf: typeof TF }>;
  cacheModels: number;
  baselineThreshold: number;
  /** The detector of faceapi-baseline (EXTRACT_DETECTOR); trained models use their card's. */
  baselineDetector: DetectorName;
  /** Galleries with at least this many photos use the approximate index. */
  annMinPhotos: number;
  /** ONNX_MODELS_DIR: where `onnx-<name>` models are installed (undefined: none). */
  onnxModelsDir: string | undefined;
}

interface LoadedGallery {
  version: string;
  index: GalleryIndex;
}

export class ModelServing {
  /** The least recently used model is disposed when a new one would pass PREDICT_CACHE_MODELS. */
  private readonly embedders: LRUCache<string, Promise<Embedder>>;
  private readonly galleries = new Map<string, Promise<LoadedGallery>>();

  constructor(private readonly deps: ServingDependencies) {
    this.embedders = new LRUCache({
      max: deps.cacheModels,
      dispose: (loading, modelId) => {
        this.galleries.delete(modelId);
        void loading.then((embedder) => embedder.dispose()).catch(() => undefined);
      },
    });
  }

  /** The model's embedder, loaded once; fails with PermanentJobError for an unknown or untrained model. */
  async embedder(modelId: string): Promise<Embedder> {
    if (modelId === BASELINE_MODEL_ID)
      return baselineEmbedder(this.deps.baselineThreshold, this.deps.baselineDetector);
    const cached = this.embedders.get(modelId);
    if (cached !== undefined) return cached;
    let loading: Promise<Embedder>;
    if (onnxModelName(modelId) !== undefined) {
      loading = this.onnxEmbedder(modelId);
    } else {
      if ((await this.deps.models.get(modelId)) === undefined)
        throw new PermanentJobError(`no model "${modelId}"`);
      loading = this.deps
        .loadTensorflow()
        .then(({ tf }) =>
          loadTrainedEmbedder(tf, this.deps.store, modelId, (engine) => this.installedSpace(engine)),
        );
    }
    this.embedders.set(modelId, loading);
    // A failed load is not cached: the next job tries again (the model may still be training).
    loading.catch(() => this.embedders.delete(modelId));
    return loading;
  }

  /** An installed ONNX model (its nets run on the detection threads; this reads its manifest). */
  private async onnxEmbedder(modelId: string): Promise<Embedder> {
    const folder = await findOnnxModel(this.deps.onnxModelsDir, modelId).catch((error: Error) => {
      throw new PermanentJobError(error.message);
    });
    if (folder === undefined)
      throw new PermanentJobError(`no model "${modelId}" (no such folder in ONNX_MODELS_DIR)`);
    return onnxEmbedder(folder, await embeddingSpaceOf(folder));
  }

  /** The embedding space of an installed ONNX model's current net (undefined: not installed). */
  private async installedSpace(engine: string): Promise<string | undefined> {
    return installedEmbeddingSpace(this.deps.onnxModelsDir, engine).catch((error: Error) => {
      throw new PermanentJobError(error.message);
    });
  }

  /** The model's gallery as of now (re-read when it changed since the last call). */
  async gallery(embedder: Embedder): Promise<GalleryIndex> {
    const modelId = embedder.modelId;
    const version = await this.deps.galleries.version(modelId);
    const cached = this.galleries.get(modelId);
    if (cached !== undefined) {
      const loaded = await cached.catch(() => undefined);
      if (loaded?.version === version) return loaded.index;
    }
    const loading = this.deps.galleries.snapshot(modelId).then((snapshot) => ({
      version: snapshot.version,
      index: new GalleryIndex(
        snapshot.identities,
        embedder.dimensions,
        this.deps.annMinPhotos,
        snapshot.embeddingSpace,
      ),
    }));
    this.galleries.set(modelId, loading);
    loading.catch(() => this.galleries.delete(modelId));
    return (await loading).index;
  }

  /** Forgets everything (tests, shutdown). */
  clear(): void {
    this.embedders.clear();
    this.galleries.clear();
  }
}
