// Prometheus metrics at /metrics, in a registry of the app's own (not prom-client's global one, so
// several apps can live in one process, as in the tests):
// - faceshot_queue_depth{queue,state}: read from Redis on each scrape;
// - faceshot_job_duration_seconds{queue,outcome}: from the queues' event streams, so it covers jobs run
//   by every worker process (each API replica sees every job: do not sum it across replicas);
// - faceshot_http_request_duration_seconds{method,route,status_code}: route is the pattern, not the URL;
// - the default Node.js process metrics.
import type { Logger } from '@faceshot/core/logger';
import { QUEUE_NAMES, type QueueName } from '@faceshot/core/queues/definitions';
import type { JobQueues } from '@faceshot/core/queues/job-queues';
import { createRedis } from '@faceshot/core/redis';
import { Type } from '@sinclair/typebox';
import { QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { collectDefaultMetrics, Gauge, Histogram, type Registry } from 'prom-client';
import type { ApiInstance } from '../api-instance.js';

export interface MetricsOptions {
  queues: JobQueues;
  /** The API's connection: the job-event listeners start once it is ready. */
  redis: Redis;
  redisUrl: string;
  redisPrefix: string;
  logger: Logger;
}

const JOB_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'paused',
  'completed',
  'failed',
] as const;

/** Adds the HTTP timing hook: call before any route is registered, so every route gets it. */
export function registerMetricsHooks(app: ApiInstance, registry: Registry): void {
  const httpDuration = new Histogram({
    name: 'faceshot_http_request_duration_seconds',
    help: 'HTTP request duration by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    httpDuration.observe(
      {
        method: request.method,
        // Unmatched URLs share one label value: a scanner must not create a series per path.
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
}

/** Queue gauges, job durations and the /metrics route. */
export function registerMetrics(app: ApiInstance, registry: Registry, options: MetricsOptions): void {
  const { queues, logger } = options;
  collectDefaultMetrics({ register: registry });

  new Gauge({
    name: 'faceshot_queue_depth',
    help: 'Jobs per queue and state, read from Redis when scraped',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      // Redis down: no queue series rather than stale ones; the scrape itself still succeeds.
      this.reset();
      try {
        const counts = await Promise.all(
          QUEUE_NAMES.map((queue) => queues.queue(queue).getJobCounts(...JOB_STATES)),
        );
        QUEUE_NAMES.forEach((queue, index) => {
          for (const state of JOB_STATES) this.set({ queue, state }, counts[index]?.[state] ?? 0);
        });
      } catch (error) {
        logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          'queue depths unavailable',
        );
      }
    },
  });

  const jobDuration = new Histogram({
    name: 'faceshot_job_duration_seconds',
    help: 'Time from a job attempt starting to its job finishing, by queue and outcome',
    labelNames: ['queue', 'outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    registers: [registry],
  });
  const observe = async (queue: QueueName, jobId: string, outcome: 'completed' | 'failed') => {
    const job = await queues.queue(queue).getJob(jobId);
    if (job?.processedOn !== undefined && job.finishedOn !== undefined) {
      jobDuration.observe({ queue, outcome }, Math.max(0, job.finishedOn - job.processedOn) / 1000);
    }
  };
  const ignoreFailure = (error: unknown) =>
    logger.debug(
      { err: error instanceof Error ? error.message : String(error) },
      'job duration not recorded',
    );
  let listeners: QueueEvents[] = [];
  const listen = () => {
    // QueueEvents blocks on a connection of its own: each duplicates this template, which then goes.
    const template = createRedis(options.redisUrl, 'worker', 'faceshot-api-queue-events');
    template.on('error', () => undefined);
    listeners = QUEUE_NAMES.map((queue) => {
      const events = new QueueEvents(queue, { connection: template, prefix: options.redisPrefix });
      events.on('completed', ({ jobId }) => void observe(queue, jobId, 'completed').catch(ignoreFailure));
      events.on('failed', ({ jobId }) => void observe(queue, jobId, 'failed').catch(ignoreFailure));
      // Without a listener an 'error' event would crash the process; ioredis reconnects by itself.
      events.on('error', (error) =>
        logger.debug({ err: error.message, queue }, 'queue events connection error'),
      );
      return events;
    });
    template.disconnect();
  };
  // QueueEvents.close() waits forever for a connection that never came up, so listen only once the
  // API's own connection has reached Redis (at once, normally: the runtime waits for Redis first).
  if (options.redis.status === 'ready') listen();
  else options.redis.once('ready', listen);
  app.addHook('onClose', async () => {
    options.redis.off('ready', listen);
    await Promise.all(listeners.map((events) => events.close()));
  });

  app.get(
    '/metrics',
    {
      logLevel: 'warn',
      schema: {
        summary: 'Prometheus metrics: queue depths, job durations, HTTP request durations, process',
        response: {
          200: {
            description: 'Prometheus text exposition format',
            content: { 'text/plain': { schema: Type.String() } },
          },
        },
      },
    },
    async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );
}
