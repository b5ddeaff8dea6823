// What every role needs, built once per process from the validated config.
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config, Role } from './config.js';
import { DatasetRepository } from './datasets/dataset-repository.js';
import { ModelRepository } from './datasets/model-repository.js';
import { mirrorOnnxModels } from './engines/onnx/onnx-model-store.js';
import type { Logger } from './logger.js';
import type { QueueName } from './queues/definitions.js';
import { defaultJobOptions } from './queues/job-options.js';
import { JobQueues } from './queues/job-queues.js';
import { closeWorkerGracefully, type StageProcessor, startStageWorker } from './queues/stage-worker.js';
import { createRedis, waitForRedis } from './redis.js';
import { createObjectStore } from './storage/create-object-store.js';
import type { ObjectStore } from './storage/object-store.js';

export interface Runtime {
  config: Config;
  logger: Logger;
  store: ObjectStore;
  /** Fail-fast connection for enqueueing and status reads. */
  producerRedis: Redis;
  queues: JobQueues;
  datasets: DatasetRepository;
  models: ModelRepository;
  /** Cleanup (thread pools, caches) that closeRuntime runs before closing connections. */
  readonly closers: (() => Promise<void>)[];
}

/** A started role; `stop` stops taking work and waits (bounded) for work in progress. */
export interface RunningRole {
  role: Role;
  stop(): Promise<void>;
}

export async function createRuntime(config: Config, logger: Logger, store?: ObjectStore): Promise<Runtime> {
  const producerRedis = createRedis(config.redis.url, 'producer', 'faceshot-producer');
  producerRedis.on('error', (error) => logger.debug({ err: error.message }, 'redis connection error'));
  try {
    await waitForRedis(producerRedis, 10_000);
  } catch (error) {
    producerRedis.disconnect();
    throw error;
  }
  const closers: (() => Promise<void>)[] = [];
  const objectStore = store ?? createObjectStore(config.storage);
  return {
    config,
    logger,
    closers,
    store: objectStore,
    producerRedis,
    queues: new JobQueues(producerRedis, config.redis.prefix, defaultJobOptions(config.jobs)),
    datasets: new DatasetRepository(producerRedis, config.redis.prefix),
    models: new ModelRepository(producerRedis, config.redis.prefix),
  };
}

/** Roles that open ONNX models: the API lists them, extractors and predictors run them. */
const ONNX_MODEL_ROLES = new Set<Role>(['api', 'extractor', 'predictor']);

/**
 * With ONNX_MODELS_FROM_STORE, and when this process runs a role that opens ONNX models: mirrors the
 * store's models into the local models folder now (so they are there before the first job) and then
 * every ONNX_MODELS_SYNC_INTERVAL_MS, until the runtime closes.
 */
export async function startOnnxModelMirror(runtime: Runtime, roles: readonly Role[]): Promise<void> {
  const { config, store, logger } = runtime;
  if (!config.extract.onnxModelsFromStore || !roles.some((role) => ONNX_MODEL_ROLES.has(role))) return;
  const directory = config.extract.onnxModelsDir ?? '';
  let running: Promise<void> = Promise.resolve();
  const mirror = () => {
    running = mirrorOnnxModels(store, directory).then(
      (report) => {
        if (report.copied.length > 0 || report.removed.length > 0)
          logger.info(
            { copied: report.copied, removed: report.removed, directory },
            'ONNX models mirrored from storage',
          );
        for (const problem of report.problems) logger.warn({ problem }, 'ONNX model in storage not mirrored');
      },
      (error: Error) => logger.warn({ err: error.message }, 'ONNX models could not be mirrored from storage'),
    );
    return running;
  };
  await mirror();
  const timer = setInterval(() => void mirror(), config.extract.onnxModelsSyncIntervalMs);
  timer.unref();
  runtime.closers.push(async () => {
    clearInterval(timer);
    await running;
  });
}

export async function closeRuntime(runtime: Runtime): Promise<void> {
  await Promise.all(runtime.closers.splice(0).map((close) => close()));
  await runtime.queues.close();
  await runtime.producerRedis.quit().catch(() => runtime.producerRedis.disconnect());
}

/** One queue a worker role consumes, and the stage function that does the work. */
export interface StageBindingOf<Q extends QueueName> {
  queue: Q;
  processor: StageProcessor<Q>;
  /** Jobs run at once in this process; defaults to WORKER_CONCURRENCY. */
  concurrency?: number;
}

/** A binding for any queue, with its processor typed for that queue. */
export type StageBinding = { [Q in QueueName]: StageBindingOf<Q> }[QueueName];

/** Builds a role's stage bindings from the process's runtime (stages get their dependencies here). */
export type StageFactory = (runtime: Runtime) => readonly StageBinding[];

/** Starts one BullMQ worker per binding, each on its own worker-kind Redis connection. */
export function startWorkerRole(runtime: Runtime, role: Role, stages: readonly StageBinding[]): RunningRole {
  const { config, logger } = runtime;
  const roleLogger = logger.child({ role });
  const running: { worker: Worker; connection: Redis }[] = stages.map((stage) => {
    const connection = createRedis(config.redis.url, 'worker', `faceshot-${role}-${stage.queue}`);
    connection.on('error', (error) => roleLogger.debug({ err: error.message }, 'redis connection error'));
    const worker = startStageWorker({
      queue: stage.queue,
      processor: stage.processor as StageProcessor<QueueName>,
      connection,
      prefix: config.redis.prefix,
      concurrency: stage.concurrency ?? config.jobs.workerConcurrency,
      lockDurationMs: config.jobs.lockDurationMs,
      logger: roleLogger,
      childJobOptions: defaultJobOptions(config.jobs),
    });
    return { worker, connection };
  });
  roleLogger.info({ queues: stages.map((stage) => stage.queue) }, 'role started');
  return {
    role,
    async stop() {
      await Promise.all(
        running.map(async ({ worker, connection }) => {
          await closeWorkerGracefully(worker, config.shutdownGraceMs, roleLogger);
          await connection.quit().catch(() => connection.disconnect());
        }),
      );
      roleLogger.info('role stopped');
    },
  };
}
