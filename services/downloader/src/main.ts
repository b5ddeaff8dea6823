// `node services/downloader/dist/main.js`: the downloader role alone.
import { runWorkerRoleMain } from '@faceshot/core/worker-main';
import { downloaderStages } from './stages.js';

await runWorkerRoleMain('downloader', downloaderStages);
