// `npm start`: every role in one process (see standalone.ts).
import { runMain } from '@faceshot/shared/process';
import { startStandalone } from './standalone.js';

await runMain('standalone', (config, logger) => startStandalone(config, logger));
