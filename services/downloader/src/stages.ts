import type { StageBinding } from '@faceshot/shared/runtime';

/**
 * The queues this role consumes (download) and the stage function for each. The stage logic lands
 * with issue #3; until then the role connects, stays idle and takes no jobs from these queues.
 */
export const downloaderStages: readonly StageBinding[] = [];
