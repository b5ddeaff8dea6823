// The HTTP gateway as a Fastify instance, built from its dependencies so tests can run it in-process.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config, Limits } from '@faceshot/shared/config';
import type { DatasetRepository } from '@faceshot/shared/datasets/dataset-repository';
import type { ModelRepository } from '@faceshot/shared/datasets/model-repository';
import type { Logger } from '@faceshot/shared/logger';
import type { JobQueues } from '@faceshot/shared/queues/job-queues';
import type { ObjectStore } from '@faceshot/shared/storage/object-store';
import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RawServerDefault } from 'fastify';
import type { Redis } from 'ioredis';
import { registerProblemHandlers } from './problem.js';
import { datasetRoutes } from './routes/datasets.js';
import { faceRoutes } from './routes/faces.js';
import { healthRoutes } from './routes/health.js';
import { jobRoutes } from './routes/jobs.js';
import { modelRoutes } from './routes/models.js';

export interface ApiDependencies {
  logger: Logger;
  redis: Redis;
  store: ObjectStore;
  queues: JobQueues;
  datasets: DatasetRepository;
  models: ModelRepository;
  limits: Limits;
  extract: Config['extract'];
  tempDir: string;
}

export type ApiInstance = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export async function buildApi(deps: ApiDependencies): Promise<ApiInstance> {
  const loggerInstance: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance,
    bodyLimit: deps.limits.jsonBodyMaxBytes,
    // Behind compose or a proxy the client address is in X-Forwarded-For.
    trustProxy: true,
  }).withTypeProvider<TypeBoxTypeProvider>();
  registerProblemHandlers(app);
  await app.register(healthRoutes, { redis: deps.redis, store: deps.store, checkTimeoutMs: 3_000 });
  await app.register(jobRoutes, { queues: deps.queues });
  await app.register(multipart, {
    preservePath: true,
    throwFileSizeLimit: false,
    limits: {
      fileSize: deps.limits.imageMaxBytes,
      files: deps.limits.uploadMaxFiles,
      fields: deps.limits.uploadMaxFiles * 2,
      fieldSize: 1024,
      parts: deps.limits.uploadMaxFiles * 3,
    },
  });
  await app.register(datasetRoutes, {
    datasets: deps.datasets,
    store: deps.store,
    queues: deps.queues,
    limits: deps.limits,
    tempDir: deps.tempDir,
  });
  await app.register(modelRoutes, {
    models: deps.models,
    datasets: deps.datasets,
    store: deps.store,
    queues: deps.queues,
  });
  await app.register(faceRoutes, {
    datasets: deps.datasets,
    store: deps.store,
    queues: deps.queues,
    extract: deps.extract,
  });
  return app;
}
