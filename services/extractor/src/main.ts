// `node services/extractor/dist/main.js`: the extractor role alone.
import { runWorkerRoleMain } from '@faceshot/core/worker-main';
import { extractorStages } from './stages.js';

await runWorkerRoleMain('extractor', extractorStages);
