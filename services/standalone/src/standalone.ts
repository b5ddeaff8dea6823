// Every role in one process for a single machine. Storage defaults to the filesystem under ./data;
// Redis comes from REDIS_URL, a server on 127.0.0.1:6379, or a private redis-server.
import { startApi } from '@faceshot/api/start-api';
import { downloaderStages } from '@faceshot/downloader/stages';
import { extractorStages } from '@faceshot/extractor/stages';
import { predictorStages } from '@faceshot/predictor/stages';
import type { Config, Role } from '@faceshot/shared/config';
import type { Logger } from '@faceshot/shared/logger';
import type { Started } from '@faceshot/shared/process';
import {
  closeRuntime,
  createRuntime,
  type RunningRole,
  type Runtime,
  type StageFactory,
  startWorkerRole,
} from '@faceshot/shared/runtime';
import { pairsStages, trainerStages } from '@faceshot/trainer/stages';
import { resolveRedis } from './embedded-redis.js';

const workerStages: Record<Exclude<Role, 'api'>, StageFactory> = {
  downloader: downloaderStages,
  extractor: extractorStages,
  pairs: pairsStages,
  trainer: trainerStages,
  predictor: predictorStages,
};

export interface RunningStandalone extends Started {
  redisUrl: string;
  apiUrl: string | undefined;
}

export async function startStandalone(
  baseConfig: Config,
  logger: Logger,
  redisProbeUrl?: string,
): Promise<RunningStandalone> {
  const redis = await resolveRedis(baseConfig, logger, redisProbeUrl);
  const config: Config = { ...baseConfig, redis: { ...baseConfig.redis, url: redis.url } };
  let runtime: Runtime;
  try {
    runtime = await createRuntime(config, logger);
    await runtime.store.ping();
  } catch (error) {
    await redis.stop();
    throw error;
  }
  const workers: RunningRole[] = [];
  for (const role of config.roles) {
    if (role !== 'api') workers.push(startWorkerRole(runtime, role, workerStages[role](runtime)));
  }
  const api = config.roles.includes('api') ? await startApi(runtime) : undefined;
  logger.info({ url: api?.url, roles: config.roles, storage: config.storage.kind }, 'faceshot is running');
  return {
    redisUrl: redis.url,
    apiUrl: api?.url,
    async stop() {
      // The API first (no new work), then the workers (finish active jobs), then Redis.
      await api?.stop();
      await Promise.all(workers.map((worker) => worker.stop()));
      await closeRuntime(runtime);
      await redis.stop();
    },
  };
}
