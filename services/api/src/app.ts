// The HTTP gateway as a Fastify instance, built from its dependencies so tests can run it in-process.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Limits } from '@faceshot/shared/config';
import type { Logger } from '@faceshot/shared/logger';
import type { JobQueues } from '@faceshot/shared/queues/job-queues';
import type { ObjectStore } from '@faceshot/shared/storage/object-store';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RawServerDefault } from 'fastify';
import type { Redis } from 'ioredis';
import { registerProblemHandlers } from './problem.js';
import { healthRoutes } from './routes/health.js';
import { jobRoutes } from './routes/jobs.js';

export interface ApiDependencies {
  logger: Logger;
  redis: Redis;
  store: ObjectStore;
  queues: JobQueues;
  limits: Limits;
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
  return app;
}
