// `node services/predictor/dist/main.js`: the predictor role alone.
import { runWorkerRoleMain } from '@faceshot/core/worker-main';
import { predictorStages } from './stages.js';

await runWorkerRoleMain('predictor', predictorStages);
