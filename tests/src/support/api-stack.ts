// An in-process stack for integration tests: real Redis (own prefix), a filesystem store in a temp
// dir, the API on a free port over real HTTP, and whichever worker roles the test asks for.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildApi } from '@faceshot/api/app';
import { apiDependenciesOf } from '@faceshot/api/start-api';
import { loadConfig, type Role } from '@faceshot/core/config';
import { createLogger } from '@faceshot/core/logger';
import {
  closeRuntime,
  createRuntime,
  type RunningRole,
  type Runtime,
  type StageFactory,
  startOnnxModelMirror,
  startWorkerRole,
} from '@faceshot/core/runtime';
import { pino } from 'pino';
import type { JsonResponse } from './http.js';
import { type TestRedis, useTestRedis } from './test-redis.js';

export interface ApiStack {
  baseUrl: string;
  runtime: Runtime;
  root: string;
  redis: TestRedis;
  stop(): Promise<void>;
}

export async function startApiStack(
  label: string,
  env: Record<string, string>,
  workers: Partial<Record<Exclude<Role, 'api'>, StageFactory>> = {},
): Promise<ApiStack> {
  const redis = await useTestRedis(label);
  const root = await fs.mkdtemp(path.join(os.tmpdir(), `faceshot-${label}-`));
  const config = loadConfig({
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    STORAGE_DIR: path.join(root, 'objects'),
    TEMP_DIR: path.join(root, 'tmp'),
    LOG_LEVEL: 'silent',
    // Tests of other features need no keys and poll jobs fast (waitForJob: 20 requests a second), so
    // neither auth nor the rate limit; the gateway tests turn both on with real API_KEYS.
    API_AUTH: 'open',
    RATE_LIMIT_PER_MINUTE: '0',
    ...env,
  });
  // Log lines go to stderr: stdout belongs to the caller (the benchmarks print their JSON there).
  const runtime = await createRuntime(config, createLogger(config.log, {}, false, pino.destination(2)));
  await startOnnxModelMirror(runtime, ['api', ...(Object.keys(workers) as Role[])]);
  const roles: RunningRole[] = Object.entries(workers).map(([role, stages]) =>
    startWorkerRole(runtime, role as Exclude<Role, 'api'>, stages(runtime)),
  );
  const app = await buildApi(apiDependenciesOf(runtime));
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    baseUrl,
    runtime,
    root,
    redis,
    async stop() {
      await app.close();
      await Promise.all(roles.map((role) => role.stop()));
      await closeRuntime(runtime);
      await redis.cleanup();
      await fs.rm(root, { recursive: true, force: true });
    },
  };
}

export async function postJson(url: string, body: unknown): Promise<JsonResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: (await response.json()) as Record<string, unknown>,
  };
}
