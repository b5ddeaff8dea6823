// `node services/api/dist/main.js`: the HTTP gateway alone.
import { runMain } from '@faceshot/shared/process';
import { closeRuntime, createRuntime } from '@faceshot/shared/runtime';
import { startApi } from './start-api.js';

await runMain('api', async (config, logger) => {
  const runtime = await createRuntime(config, logger);
  const api = await startApi(runtime);
  return {
    async stop() {
      await api.stop();
      await closeRuntime(runtime);
    },
  };
});
