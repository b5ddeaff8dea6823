// `node services/trainer/dist/pairs-main.js`: the pairs role alone (CPU).
import { runWorkerRoleMain } from '@faceshot/core/worker-main';
import { pairsStages } from './stages.js';

await runWorkerRoleMain('pairs', pairsStages);
