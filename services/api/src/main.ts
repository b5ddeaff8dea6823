// `node services/api/dist/main.js`: the HTTP gateway alone.
import { runMain } from '@faceshot/core/process';
import { closeRuntime, createRuntime, startOnnxModelMirror } from '@faceshot/core/runtime';
import { assertAuthConfigured } from './gateway/auth.js';
import { startApi } from './start-api.js';

await runMain('api', async (config, logger) => {
  // Before connecting anything: without API_KEYS (and without API_AUTH=open) the API does not start.
  assertAuthConfigured(config.gateway);
  const runtime = await createRuntime(config, logger);
  await startOnnxModelMirror(runtime, ['api']);
  const api = await startApi(runtime);
  return {
    async stop() {
      await api.stop();
      await closeRuntime(runtime);
    },
  };
});
