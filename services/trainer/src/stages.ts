import type { StageFactory } from '@faceshot/shared/runtime';
import { createPairsStage } from './pairs/pairs-stage.js';

/** The pairs role (CPU): curated grey faces → NumPy pair files. */
export const pairsStages: StageFactory = (runtime) => [
  {
    queue: 'pairs',
    processor: createPairsStage({ store: runtime.store, graySize: runtime.config.extract.graySize }),
  },
];

/**
 * The trainer role (GPU where present): Siamese training. Its stage logic lands with the rest of
 * issue #5; until then the role connects, stays idle and takes no jobs from the train queue.
 */
export const trainerStages: StageFactory = () => [];
