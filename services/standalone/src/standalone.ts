// Every role from one command for a single machine: all in this process except the trainer, which
// gets a child process (see role-process.ts). Storage defaults to the filesystem under ./data; Redis
// comes from REDIS_URL, a server on 127.0.0.1:6379, or a private redis-server.
import { startApi } from '@faceshot/api/start-api';
import type { Config, Env, Role } from '@faceshot/core/config';
import type { Logger } from '@faceshot/core/logger';
import type { Started } from '@faceshot/core/process';
import {
  closeRuntime,
  createRuntime,
  type RunningRole,
  type Runtime,
  type StageFactory,
  startOnnxModelMirror,
  startWorkerRole,
} from '@faceshot/core/runtime';
import { downloaderStages } from '@faceshot/downloader/stages';
import { extractorStages } from '@faceshot/extractor/stages';
import { predictorStages } from '@faceshot/predictor/stages';
import { pairsStages } from '@faceshot/trainer/stages';
import { withDevApiKey } from './dev-api-key.js';
import { resolveRedis } from './embedded-redis.js';
import { startRoleProcess } from './role-process.js';

const inProcessStages: Record<Exclude<Role, 'api' | 'trainer'>, StageFactory> = {
  downloader: downloaderStages,
  extractor: extractorStages,
  pairs: pairsStages,
  predictor: predictorStages,
};

export interface RunningStandalone extends Started {
  redisUrl: string;
  apiUrl: string | undefined;
}

/**
 * `env` is the environment the child role processes start with (the stack's own, normally); the
 * resolved Redis URL, prefix and storage paths are set in it so the children share the stack's.
 */
export async function startStandalone(
  baseConfig: Config,
  logger: Logger,
  env: Env,
  redisProbeUrl?: string,
): Promise<RunningStandalone> {
  // First: if the key file cannot be written, nothing has been started that would need stopping.
  const keyedConfig = await withDevApiKey(baseConfig, logger);
  const redis = await resolveRedis(keyedConfig, logger, redisProbeUrl);
  const config: Config = { ...keyedConfig, redis: { ...keyedConfig.redis, url: redis.url } };
  let runtime: Runtime;
  try {
    runtime = await createRuntime(config, logger);
    await runtime.store.ping();
    // One mirror for the roles in this process (the trainer child opens no ONNX model).
    await startOnnxModelMirror(runtime, config.roles);
  } catch (error) {
    await redis.stop();
    throw error;
  }
  const childEnv: Env = {
    ...env,
    REDIS_URL: redis.url,
    REDIS_PREFIX: config.redis.prefix,
    DATA_DIR: config.dataDir,
    TEMP_DIR: config.tempDir,
    ...(config.storage.kind === 'fs' ? { STORAGE_DIR: config.storage.dir } : {}),
  };
  const workers: RunningRole[] = [];
  for (const role of config.roles) {
    if (role === 'trainer') workers.push(startRoleProcess(role, childEnv, config.shutdownGraceMs, logger));
    else if (role !== 'api') workers.push(startWorkerRole(runtime, role, inProcessStages[role](runtime)));
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
