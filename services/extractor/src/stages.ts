import type { StageFactory } from '@faceshot/core/runtime';
import { ExtractionPool } from '@faceshot/vision/extraction-pool';
import { extractionOptions } from '@faceshot/vision/face-extraction';
import { createCurateStage } from './curate-stage.js';
import { curationSettingsFor } from './curation-settings.js';
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
        curationSettings: (engine) => curationSettingsFor(engine, config.extract.onnxModelsDir),
      }),
    },
  ];
};
