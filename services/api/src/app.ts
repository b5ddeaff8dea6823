// The HTTP gateway as a Fastify instance, built from its dependencies so tests can run it in-process.

import type { Config, GatewayConfig, Limits } from '@faceshot/core/config';
import type { DatasetRepository } from '@faceshot/core/datasets/dataset-repository';
import type { ModelRepository } from '@faceshot/core/datasets/model-repository';
import { PipelineRepository } from '@faceshot/core/datasets/pipeline-repository';
import { GalleryRepository } from '@faceshot/core/gallery/gallery-repository';
import type { Logger } from '@faceshot/core/logger';
import type { JobQueues } from '@faceshot/core/queues/job-queues';
import { JobWaiter } from '@faceshot/core/queues/job-waiter';
import type { ObjectStore } from '@faceshot/core/storage/object-store';
import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type RouteOptions } from 'fastify';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import type { ApiInstance } from './api-instance.js';
import { registerAdminBoard } from './gateway/admin-board.js';
import { ApiKeyring, assertAuthConfigured, publicRoutes, registerAuth } from './gateway/auth.js';
import { registerCors } from './gateway/cors.js';
import { registerMetrics, registerMetricsHooks } from './gateway/metrics.js';
import { registerDocsUi, registerOpenApi } from './gateway/openapi.js';
import { registerRateLimit } from './gateway/rate-limit.js';
import { answerClientError, answerFrameworkError, registerProblemHandlers } from './problem.js';
import { redactUrl } from './redact.js';
import { strictSchemaController } from './request-validation.js';
import { datasetRoutes } from './routes/datasets.js';
import { faceRoutes } from './routes/faces.js';
import { healthRoutes } from './routes/health.js';
import { identityRoutes } from './routes/identities.js';
import { jobRoutes } from './routes/jobs.js';
import { modelRoutes } from './routes/models.js';
import { pipelineRoutes } from './routes/pipelines.js';
import { predictionRoutes } from './routes/predictions.js';
import { webPageRoutes } from './web/web-page.js';

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
  /** Auth, rate limit, CORS, metrics access. */
  gateway: GatewayConfig;
  /** The metrics' queue-event listeners open connections of their own (they block on Redis). */
  redisUrl: string;
  /** The deployment's key prefix, for queue events and rate-limit counters. */
  redisPrefix: string;
  /** Synchronous identify/verify/enrol: how long to wait for the predictor. */
  predict: Config['predict'];
  /** How often live progress streams re-read state. */
  eventsIntervalMs: number;
  /** Request, header, upload-idle and keep-alive timeouts; the config's defaults when not given. */
  server?: ServerTimeouts;
}

export type ServerTimeouts = Pick<
  Config['api'],
  'headersTimeoutMs' | 'requestTimeoutMs' | 'bodyIdleTimeoutMs' | 'keepAliveTimeoutMs'
>;

const DEFAULT_TIMEOUTS: ServerTimeouts = {
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 120_000,
  bodyIdleTimeoutMs: 15_000,
  keepAliveTimeoutMs: 72_000,
};

interface LoggedRequest {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

export interface BuildOptions {
  /** Sees every route as it is added (the OpenAPI test checks each one is documented). */
  onRoute?: (route: RouteOptions) => void;
}

export async function buildApi(deps: ApiDependencies, options: BuildOptions = {}): Promise<ApiInstance> {
  assertAuthConfigured(deps.gateway);
  const timeouts = deps.server ?? DEFAULT_TIMEOUTS;
  // Request lines are logged without the `key` query parameter (the dashboard login carries a secret);
  // headers (Authorization, cookies) are not logged at all.
  const loggerInstance: FastifyBaseLogger = deps.logger.child(
    {},
    {
      serializers: {
        req: (request: LoggedRequest) => ({
          method: request.method,
          url: redactUrl(request.url),
          host: request.host,
          remoteAddress: request.ip,
          remotePort: request.socket?.remotePort,
        }),
      },
    },
  );
  const app = Fastify({
    loggerInstance,
    bodyLimit: deps.limits.jsonBodyMaxBytes,
    // Behind compose or a proxy the client address is in X-Forwarded-For.
    trustProxy: true,
    // A whole request must arrive within requestTimeoutMs, its headers within headersTimeoutMs (408);
    // Node checks for expired requests every connectionsCheckingInterval.
    requestTimeout: timeouts.requestTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    http: {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(timeouts.headersTimeoutMs / 4))),
    },
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
    schemaController: strictSchemaController,
  }).withTypeProvider<TypeBoxTypeProvider>();
  // The API takes JSON and (where a route says so) multipart; text/plain would reach the schemas as a string.
  app.removeContentTypeParser('text/plain');
  if (options.onRoute !== undefined) app.addHook('onRoute', options.onRoute);
  registerProblemHandlers(app);
  if (deps.gateway.auth === 'open') {
    deps.logger.warn(
      'API_AUTH=open: NO API KEY IS CHECKED. Anyone who can reach this port can read, change and delete every dataset and model and use /admin/queues. Development only; set API_KEYS and API_AUTH=keys.',
    );
  }
  // Order matters: hooks first (they reach only routes added after them), CORS before auth (preflights
  // carry no key), auth before the rate limit (which counts per key), OpenAPI before any route.
  const isPublic = publicRoutes(deps.gateway);
  const metrics = new Registry();
  registerMetricsHooks(app, metrics);
  await registerOpenApi(app, deps.gateway, isPublic, deps.limits);
  await registerCors(app, deps.gateway.corsOrigins);
  if (deps.gateway.auth === 'keys') registerAuth(app, new ApiKeyring(deps.gateway.keys), isPublic);
  await registerRateLimit(app, {
    redis: deps.redis,
    prefix: deps.redisPrefix,
    perMinute: deps.gateway.rateLimitPerMinute,
    isPublic,
  });
  await registerDocsUi(app);
  registerMetrics(app, metrics, {
    queues: deps.queues,
    redis: deps.redis,
    redisUrl: deps.redisUrl,
    redisPrefix: deps.redisPrefix,
    logger: deps.logger,
  });
  await registerAdminBoard(app, deps.queues);
  await app.register(webPageRoutes);
  await app.register(healthRoutes, { redis: deps.redis, store: deps.store, checkTimeoutMs: 3_000 });
  await app.register(jobRoutes, { queues: deps.queues, eventsIntervalMs: deps.eventsIntervalMs });
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
    bodyIdleTimeoutMs: timeouts.bodyIdleTimeoutMs,
  });
  const galleries = new GalleryRepository(deps.redis, deps.redisPrefix);
  await app.register(modelRoutes, {
    models: deps.models,
    datasets: deps.datasets,
    store: deps.store,
    queues: deps.queues,
    galleries,
    baselineThreshold: deps.predict.baselineThreshold,
    onnxModelsDir: deps.extract.onnxModelsDir,
  });
  await app.register(faceRoutes, {
    datasets: deps.datasets,
    store: deps.store,
    queues: deps.queues,
    extract: deps.extract,
  });
  // identify, verify and gallery writes wait for the predictor's answer over the queues.
  const waiter = new JobWaiter(deps.queues, deps.redisUrl, deps.redisPrefix);
  app.addHook('onClose', () => waiter.close());
  const uploads = {
    imageMaxBytes: deps.limits.imageMaxBytes,
    imageMaxPixels: deps.limits.imageMaxPixels,
    tempDir: deps.tempDir,
    bodyIdleTimeoutMs: timeouts.bodyIdleTimeoutMs,
  };
  const synchronous = {
    models: deps.models,
    store: deps.store,
    waiter,
    uploads,
    timeoutMs: deps.predict.timeoutMs,
    onnxModelsDir: deps.extract.onnxModelsDir,
  };
  await app.register(predictionRoutes, synchronous);
  await app.register(identityRoutes, {
    ...synchronous,
    galleries,
    queues: deps.queues,
    datasets: deps.datasets,
  });
  await app.register(pipelineRoutes, {
    pipelines: new PipelineRepository(deps.redis, deps.redisPrefix),
    models: deps.models,
    datasets: deps.datasets,
    queues: deps.queues,
    extract: deps.extract,
    eventIntervalMs: deps.eventsIntervalMs,
  });
  return app;
}
