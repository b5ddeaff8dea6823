import { embeddingSpaceOf, findOnnxModel } from '@faceshot/core/engines/onnx/onnx-model-catalogue';
import { PermanentJobError } from '@faceshot/core/queues/permanent-job-error';
import type { StageFactory } from '@faceshot/core/runtime';
import { ExtractionPool } from '@faceshot/vision/extraction-pool';
import { extractionOptions } from '@faceshot/vision/face-extraction';
import { createCurateStage } from './curate-stage.js';
import { curationFor } from './curation.js';
import { createExtractStage } from './extract-stage.js';

/**
 * The extractor consumes the extract queue (one job per raw photo, run on a pool of worker threads,
 * one per core by default, so tfjs never blocks the event loop that renews job locks) and the
 * curate queue (one job per dataset).
 */
export const extractorStages: StageFactory = (runtime) => {
  const { config } = runtime;
  const pool = new ExtractionPool(config.extract.threads, extractionOptions(config.extract, config.limits));
  runtime.closers.push(() => pool.close());
  const onnxModelsDir = config.extract.onnxModelsDir;
  async function onnxCuration(engine: string) {
    const folder = await findOnnxModel(onnxModelsDir, engine).catch((error: Error) => {
      throw new PermanentJobError(error.message);
    });
    if (folder === undefined)
      throw new PermanentJobError(
        `cannot curate faces described by ${engine}: no such ONNX model here (ONNX_MODELS_DIR ${onnxModelsDir ?? 'is not set'})`,
      );
    const { distance, threshold } = folder.manifest;
    return curationFor(await embeddingSpaceOf(folder), distance, threshold);
  }
  return [
    {
      queue: 'extract',
      processor: createExtractStage({
        store: runtime.store,
        extract: (bytes, engine) => pool.extract(bytes, engine),
      }),
      concurrency: config.extract.threads,
    },
    {
      queue: 'curate',
      processor: createCurateStage({
        store: runtime.store,
        datasets: runtime.datasets,
        defaultEngine: config.extract.engine,
        onnxCuration,
      }),
    },
  ];
};
