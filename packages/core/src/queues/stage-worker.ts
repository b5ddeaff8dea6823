// The consumer side of every queue. A stage is a pure async function from a validated payload to a
// validated result; this wrapper adds BullMQ, logging and the rule that a malformed payload fails its
// job at once with a reason naming the field (no retry, the worker keeps running).
import { type Job, type JobsOptions, Queue, UnrecoverableError, WaitingChildrenError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { jobLogger, type Logger } from '../logger.js';
import { parseWithSchema, SchemaError } from '../schema.js';
import { type PayloadOf, type QueueName, queueSchemas, type ResultOf } from './definitions.js';
import { PermanentJobError } from './permanent-job-error.js';

export interface StageContext {
  jobId: string;
  /** 1 on the first attempt. */
  attempt: number;
  log: Logger;
  /** Reports progress: a number from 0 to 100, or an object with stage-specific fields. */
  progress(value: number | Record<string, unknown>): Promise<void>;
  /**
   * Runs child jobs before the rest of this one, for work only known when the job starts (the photos a
   * pipeline's downloads produced). The first time, it adds the children and parks this job until they
   * are all done (a failed child does not block it); the job then runs again from the start, and this
   * call returns at once because the children exist and are done (a run while some are still pending,
   * after a crash, parks the job again). With no payloads and no children it returns at once.
   */
  childrenFirst<C extends QueueName>(queue: C, payloads: readonly PayloadOf<C>[]): Promise<void>;
}

export type StageProcessor<Q extends QueueName> = (
  payload: PayloadOf<Q>,
  context: StageContext,
) => Promise<ResultOf<Q>>;

export interface StageWorkerOptions<Q extends QueueName> {
  queue: Q;
  processor: StageProcessor<Q>;
  /** A worker-kind connection (maxRetriesPerRequest: null); BullMQ duplicates it for blocking calls. */
  connection: Redis;
  prefix: string;
  concurrency: number;
  /** How long a job stays locked without renewal before another worker may take it over. */
  lockDurationMs: number;
  logger: Logger;
  /** Options of jobs a stage adds with `childrenFirst` (attempts, backoff, retention). */
  childJobOptions?: JobsOptions;
  /** How long the queue pauses when storage is unreachable (default UNREACHABLE_PAUSE_MS). */
  unreachablePauseMs?: number;
  /** Hand-backs of one job without using an attempt before its error counts (default MAX_HAND_BACKS). */
  maxHandBacks?: number;
}

function idsOf(payload: unknown): { datasetId?: string; modelId?: string } {
  if (typeof payload !== 'object' || payload === null) return {};
  const record = payload as Record<string, unknown>;
  return {
    ...(typeof record.datasetId === 'string' ? { datasetId: record.datasetId } : {}),
    ...(typeof record.modelId === 'string' ? { modelId: record.modelId } : {}),
  };
}

/** Network errors that mean a service we depend on (object storage) is unreachable, not a bad job. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** How long a worker stops taking jobs from its queue when storage is unreachable. */
export const UNREACHABLE_PAUSE_MS = 5_000;

/**
 * A job handed back this often is not waiting out an outage: something in the job itself resets the
 * connection every time. It then fails like any other error (using an attempt), so it cannot loop
 * forever pausing its queue.
 */
export const MAX_HAND_BACKS = 20;

/** True for a raw connection error (or one in its causes). Stages wrap errors about remote photo
 * sites in their own types (DownloadError), so a raw one that escapes a stage is our infrastructure. */
export function isUnreachableError(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; depth++) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
    current = current.cause;
  }
  return false;
}

export function startStageWorker<Q extends QueueName>(options: StageWorkerOptions<Q>): Worker {
  const { queue, processor, logger } = options;
  const schemas = queueSchemas[queue];
  const childQueues = new Map<QueueName, Queue>();
  const childQueue = (name: QueueName) => {
    let found = childQueues.get(name);
    if (found === undefined) {
      found = new Queue(name, { connection: options.connection, prefix: options.prefix });
      childQueues.set(name, found);
    }
    return found;
  };

  async function childrenFirst<C extends QueueName>(
    job: Job,
    token: string | undefined,
    name: C,
    payloads: readonly PayloadOf<C>[],
  ): Promise<void> {
    // Set once the children are added: on the job's next run they exist (and are normally done).
    const marker = `${options.prefix}:meta:children:${queue}:${job.id}:${name}`;
    if ((await options.connection.exists(marker)) === 0) {
      if (payloads.length === 0) return;
      const valid = payloads.map((payload, index) =>
        parseWithSchema(queueSchemas[name].payload, payload, `${name} job payload [${index}]`),
      );
      // Child ids follow from the parent's, so adding them again after a crash adds nothing twice.
      await childQueue(name).addBulk(
        valid.map((data, index) => ({
          name,
          data,
          opts: {
            ...options.childJobOptions,
            jobId: `${job.id}-${name}-${index}`,
            parent: { id: job.id ?? '', queue: job.queueQualifiedName },
            ignoreDependencyOnFailure: true,
          },
        })),
      );
      await options.connection.set(marker, '1', 'EX', 7 * 24 * 3600);
    }
    // On every run, not only the first: a worker that died after adding the children but before
    // parking the job leaves it active; its next run must wait for them too (false once all are done).
    if (await job.moveToWaitingChildren(token ?? '')) throw new WaitingChildrenError();
  }

  const unreachablePauseMs = options.unreachablePauseMs ?? UNREACHABLE_PAUSE_MS;
  const maxHandBacks = options.maxHandBacks ?? MAX_HAND_BACKS;
  const handBackKey = (job: Job) => `${options.prefix}:meta:hand-backs:${queue}:${job.id}`;

  const worker = new Worker(
    queue,
    async (job: Job, token?: string) => {
      const log = jobLogger(logger, { queue, jobId: job.id, ...idsOf(job.data) });
      let payload: PayloadOf<Q>;
      try {
        payload = parseWithSchema(schemas.payload, job.data, `${queue} job payload`) as PayloadOf<Q>;
      } catch (error) {
        if (error instanceof SchemaError) {
          log.warn({ field: error.field }, error.message);
          throw new UnrecoverableError(error.message);
        }
        throw error;
      }
      log.info({ attempt: job.attemptsMade + 1 }, 'job started');
      const started = performance.now();
      let result: ResultOf<Q>;
      try {
        result = await processor(payload, {
          jobId: job.id ?? '',
          attempt: job.attemptsMade + 1,
          log,
          progress: (value) => job.updateProgress(value),
          childrenFirst: (name, payloads) => childrenFirst(job, token, name, payloads),
        });
      } catch (error) {
        if (error instanceof WaitingChildrenError) {
          log.info('waiting for its child jobs');
          throw error;
        }
        // A stored document that fails its schema stays wrong however often the job is retried.
        if (error instanceof PermanentJobError || error instanceof SchemaError)
          throw new UnrecoverableError(error.message);
        if (isUnreachableError(error)) {
          // Storage is down: every job would fail the same way and an outage would burn every job's
          // attempts in seconds. Pause this queue's workers and put the job back without using an
          // attempt, a bounded number of times per job.
          const handBacks = await options.connection.incr(handBackKey(job));
          await options.connection.expire(handBackKey(job), 7 * 24 * 3600);
          if (handBacks <= maxHandBacks) {
            log.warn(
              { err: (error as Error).message, pauseMs: unreachablePauseMs, handBacks, maxHandBacks },
              'storage unreachable: pausing',
            );
            await worker.rateLimit(unreachablePauseMs);
            throw Worker.RateLimitError();
          }
          log.error(
            { err: (error as Error).message, handBacks: handBacks - 1 },
            'connection errors on every run of this job: counting it as a failed attempt',
          );
          await options.connection.del(handBackKey(job));
        }
        throw error;
      }
      try {
        parseWithSchema(schemas.result, result, `${queue} job result`);
      } catch (error) {
        // A stage returned the wrong shape: a bug that a retry cannot fix.
        throw new UnrecoverableError(error instanceof Error ? error.message : String(error));
      }
      await options.connection.del(handBackKey(job));
      log.info({ ms: Math.round(performance.now() - started) }, 'job completed');
      return result;
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      lockDuration: options.lockDurationMs,
      // Look for jobs whose lock expired (their worker died) as often as a lock lasts, so a dead
      // worker's job is picked up again within about two lock durations.
      stalledInterval: options.lockDurationMs,
      // A job whose worker died is taken over after its lock expires; give up after 3 such stalls.
      maxStalledCount: 3,
      autorun: true,
    },
  );
  worker.on('failed', (job, error) => {
    logger.warn({ queue, jobId: job?.id, attempt: job?.attemptsMade, err: error.message }, 'job failed');
  });
  worker.on('error', (error) => logger.error({ queue, err: error.message }, 'worker error'));
  worker.on('closed', () => {
    // They share the worker's connection, which its owner may be quitting right now.
    for (const child of childQueues.values()) child.close().catch(() => undefined);
  });
  return worker;
}

/**
 * Stops taking jobs and waits for active ones up to `graceMs`; after that the worker is closed without
 * waiting and its active jobs return to the queue when their locks expire (stalled-job recovery).
 */
export async function closeWorkerGracefully(worker: Worker, graceMs: number, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceMs);
  });
  // pause() stops fetching and resolves once the active jobs are done; close() would do the same but
  // could then no longer be forced (BullMQ returns the first close's promise to later calls).
  const outcome = await Promise.race([worker.pause(false).then(() => 'drained' as const), timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    logger.warn(
      { queue: worker.name, graceMs },
      'grace period over: leaving active jobs to stalled-job recovery',
    );
  }
  await worker.close(outcome === 'timeout');
}
