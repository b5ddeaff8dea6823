import type { StageFactory } from '@faceshot/shared/runtime';
import { createCurateStage } from './curate-stage.js';
import { createExtractStage } from './extract-stage.js';
import { ExtractionPool } from './extraction-pool.js';
import { extractionOptions } from './face-extraction.js';

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
      processor: createExtractStage({ store: runtime.store, extract: (bytes) => pool.extract(bytes) }),
      concurrency: config.extract.threads,
    },
    { queue: 'curate', processor: createCurateStage({ store: runtime.store, datasets: runtime.datasets }) },
  ];
};
