import type { StageFactory } from '@faceshot/core/runtime';
import { setFastTrainingKernels } from '@faceshot/vision/fast-training-kernels';
import { loadTrainingTensorflow } from '@faceshot/vision/training-tensorflow';
import { createPairsStage } from './pairs/pairs-stage.js';
import { createTrainStage } from './siamese/train-stage.js';

/** The pairs role (CPU): curated grey faces → NumPy pair files. */
export const pairsStages: StageFactory = (runtime) => [
  {
    queue: 'pairs',
    processor: createPairsStage({ store: runtime.store, graySize: runtime.config.extract.graySize }),
  },
];

/**
 * The trainer role (GPU where present): one training job at a time. The loop yields to the event
 * loop after every batch, so BullMQ keeps renewing the job's lock during long epochs.
 */
export const trainerStages: StageFactory = (runtime) => [
  {
    queue: 'train',
    processor: createTrainStage({
      store: runtime.store,
      loadTensorflow: async () => {
        const loaded = await loadTrainingTensorflow();
        setFastTrainingKernels(loaded.tf, runtime.config.train.fastKernels);
        return loaded;
      },
      trainingThreads: runtime.config.train.threads,
    }),
    concurrency: 1,
  },
];
