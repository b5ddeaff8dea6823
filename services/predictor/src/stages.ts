import type { StageFactory } from '@faceshot/shared/runtime';

/**
 * The queues this role consumes (predict,enrol) and the stage function for each. The stage logic lands
 * with issue #6; until then the role connects, stays idle and takes no jobs from these queues.
 */
export const predictorStages: StageFactory = () => [];
