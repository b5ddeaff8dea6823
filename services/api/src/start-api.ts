import type { RunningRole, Runtime } from '@faceshot/shared/runtime';
import { buildApi } from './app.js';

export async function startApi(runtime: Runtime): Promise<RunningRole & { url: string }> {
  const { config } = runtime;
  const app = await buildApi({
    logger: runtime.logger.child({ role: 'api' }),
    redis: runtime.producerRedis,
    store: runtime.store,
    queues: runtime.queues,
    limits: config.limits,
  });
  const url = await app.listen({ host: config.api.host, port: config.api.port });
  return {
    role: 'api',
    url,
    async stop() {
      // Stops accepting connections and waits for requests in flight.
      await app.close();
    },
  };
}
