// `npm start`: every role from one command (see standalone.ts).
import { runMain } from '@faceshot/core/process';
import { startStandalone } from './standalone.js';

// The child role processes (the trainer) start with this process's environment.
await runMain('standalone', (config, logger) => startStandalone(config, logger, process.env));
