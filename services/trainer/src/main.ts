// `node services/trainer/dist/main.js`: the trainer role alone (GPU where present).
import { runWorkerRoleMain } from '@faceshot/core/worker-main';
import { trainerStages } from './stages.js';

await runWorkerRoleMain('trainer', trainerStages);
