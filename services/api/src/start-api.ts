import type { RunningRole, Runtime } from '@faceshot/core/runtime';
import { type ApiDependencies, buildApi } from './app.js';

export function apiDependenciesOf(runtime: Runtime): ApiDependencies {
  return {
    logger: runtime.logger.child({ role: 'api' }),
    redis: runtime.producerRedis,
    store: runtime.store,
    queues: runtime.queues,
    datasets: runtime.datasets,
    models: runtime.models,
    limits: runtime.config.limits,
    extract: runtime.config.extract,
    tempDir: runtime.config.tempDir,
    gateway: runtime.config.gateway,
    redisUrl: runtime.config.redis.url,
    redisPrefix: runtime.config.redis.prefix,
    predict: runtime.config.predict,
    eventsIntervalMs: runtime.config.api.eventsIntervalMs,
    server: runtime.config.api,
  };
}

export async function startApi(runtime: Runtime): Promise<RunningRole & { url: string }> {
  const app = await buildApi(apiDependenciesOf(runtime));
  const url = await app.listen({ host: runtime.config.api.host, port: runtime.config.api.port });
  return {
    role: 'api',
    url,
    async stop() {
      // Stops accepting connections and waits for requests in flight, up to half the grace period (the
      // workers stop after the API and need the rest); then the connections still open (a client that
      // stopped sending, a long event stream) are closed.
      const graceMs = Math.floor(runtime.config.shutdownGraceMs / 2);
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'grace-over'>((resolve) => {
        timer = setTimeout(() => resolve('grace-over'), graceMs);
      });
      const closing = app.close();
      if ((await Promise.race([closing, graceOver])) === 'grace-over') {
        runtime.logger.warn({ graceMs }, 'closing connections still open after the grace period');
        app.server.closeAllConnections();
      }
      clearTimeout(timer);
      await closing;
    },
  };
}
