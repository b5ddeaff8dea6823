import type { StageFactory } from '@faceshot/shared/runtime';

/**
 * The trainer service has two roles: `pairs` (CPU: NumPy pair files) and `trainer` (GPU where present:
 * Siamese training). Their stage logic lands with issue #5; until then the roles connect, stay idle
 * and take no jobs from the pairs and train queues.
 */
export const pairsStages: StageFactory = () => [];
export const trainerStages: StageFactory = () => [];
