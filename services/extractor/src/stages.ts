import type { StageFactory } from '@faceshot/shared/runtime';

/**
 * The queues this role consumes (extract,curate) and the stage function for each. The stage logic lands
 * with issue #4; until then the role connects, stays idle and takes no jobs from these queues.
 */
export const extractorStages: StageFactory = () => [];
