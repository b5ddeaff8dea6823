import type { DetectorName } from '@faceshot/core/engines/detector-name';
import type { FaceEngineId } from '@faceshot/core/engines/face-engine-id';
import { GalleryRepository } from '@faceshot/core/gallery/gallery-repository';
import type { StageFactory } from '@faceshot/core/runtime';
import { ExtractionPool } from '@faceshot/vision/extraction-pool';
import { extractionOptions } from '@faceshot/vision/face-extraction';
import { loadTrainingTensorflow } from '@faceshot/vision/training-tensorflow';
import { createEnrolStage } from './enrol-stage.js';
import { ModelServing } from './model-serving.js';
import { createPredictStage } from './predict-stage.js';

/**
 * The predictor consumes the predict queue (identify, verify) and the enrol queue (every gallery
 * change). Face detection runs on its own pool of threads (PREDICT_THREADS) so tfjs never blocks the
 * event loop; models and galleries stay loaded between jobs (PREDICT_CACHE_MODELS).
 */
export const predictorStages: StageFactory = (runtime) => {
  const { config } = runtime;
  const pool = new ExtractionPool(config.predict.threads, extractionOptions(config.extract, config.limits));
  const galleries = new GalleryRepository(runtime.producerRedis, config.redis.prefix);
  const serving = new ModelServing({
    store: runtime.store,
    models: runtime.models,
    galleries,
    loadTensorflow: loadTrainingTensorflow,
    cacheModels: config.predict.cacheModels,
    baselineThreshold: config.predict.baselineThreshold,
    baselineDetector: config.extract.detector,
    annMinPhotos: config.predict.annMinPhotos,
    onnxModelsDir: config.extract.onnxModelsDir,
  });
  runtime.closers.push(async () => {
    serving.clear();
    await pool.close();
  });
  const faces = (bytes: Buffer, which: 'all' | 'primary', detector: DetectorName, engine: FaceEngineId) =>
    pool.faces(bytes, which, detector, engine);
  return [
    {
      queue: 'predict',
      processor: createPredictStage({ store: runtime.store, serving, faces }),
      concurrency: config.predict.threads * 2,
    },
    { queue: 'enrol', processor: createEnrolStage({ store: runtime.store, serving, galleries, faces }) },
  ];
};
