// `npm start`: every role in one process for a single machine. Storage defaults to the filesystem
// under ./data; Redis comes from REDIS_URL, 127.0.0.1:6379, or a private redis-server.
import { startApi } from '@faceshot/api/start-api';
import { downloaderStages } from '@faceshot/downloader/stages';
import { extractorStages } from '@faceshot/extractor/stages';
import { predictorStages } from '@faceshot/predictor/stages';
import type { Role } from '@faceshot/shared/config';
import { runMain } from '@faceshot/shared/process';
import {
  closeRuntime,
  createRuntime,
  type RunningRole,
  type StageBinding,
  startWorkerRole,
} from '@faceshot/shared/runtime';
import { pairsStages, trainerStages } from '@faceshot/trainer/stages';
import { resolveRedis } from './embedded-redis.js';

const workerStages: Record<Exclude<Role, 'api'>, readonly StageBinding[]> = {
  downloader: downloaderStages,
  extractor: extractorStages,
  pairs: pairsStages,
  trainer: trainerStages,
  predictor: predictorStages,
};

await runMain('standalone', async (baseConfig, logger) => {
  const redis = await resolveRedis(baseConfig, process.env.PATH ?? '', logger);
  const config = { ...baseConfig, redis: { ...baseConfig.redis, url: redis.url } };
  let runtime: Awaited<ReturnType<typeof createRuntime>>;
  try {
    runtime = await createRuntime(config, logger);
    await runtime.store.ping();
  } catch (error) {
    await redis.stop();
    throw error;
  }
  const roles: RunningRole[] = [];
  for (const role of config.roles) {
    if (role !== 'api') roles.push(startWorkerRole(runtime, role, workerStages[role]));
  }
  if (config.roles.includes('api')) {
    const api = await startApi(runtime);
    roles.push(api);
    logger.info({ url: api.url, roles: config.roles, storage: config.storage.kind }, 'faceshot is running');
  }
  return {
    async stop() {
      // The API first (no new work), then the workers (finish active jobs), then Redis.
      const api = roles.find((running) => running.role === 'api');
      if (api) await api.stop();
      await Promise.all(roles.filter((running) => running.role !== 'api').map((running) => running.stop()));
      await closeRuntime(runtime);
      await redis.stop();
    },
  };
});
