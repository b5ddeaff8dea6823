// Request/response over a queue: the API's synchronous endpoints (identify, verify, enrol) add a job
// and wait for its result with a deadline. One QueueEvents subscription per queue serves every wait.
import { QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { createRedis } from '../redis.js';
import type { PayloadOf, QueueName, ResultOf } from './definitions.js';
import type { JobQueues } from './job-queues.js';

export type WaitOutcome<Q extends QueueName> =
  | { state: 'completed'; jobId: string; result: ResultOf<Q> }
  | { state: 'failed'; jobId: string; reason: string }
  | { state: 'timeout'; jobId: string };

export class JobWaiter {
  private readonly events = new Map<QueueName, { events: QueueEvents; connection: Redis }>();

  constructor(
    private readonly queues: JobQueues,
    private readonly redisUrl: string,
    private readonly prefix: string,
  ) {}

  private async subscription(name: QueueName): Promise<QueueEvents> {
    let entry = this.events.get(name);
    if (entry === undefined) {
      const connection = createRedis(this.redisUrl, 'worker', `faceshot-api-events-${name}`);
      connection.on('error', () => undefined);
      entry = { events: new QueueEvents(name, { connection, prefix: this.prefix }), connection };
      this.events.set(name, entry);
    }
    await entry.events.waitUntilReady();
    return entry.events;
  }

  /**
   * Adds the job and waits up to `timeoutMs` for it to finish. On timeout the job is removed if no
   * worker holds it yet (a worker that already took it finishes and its result expires on its own).
   */
  async run<Q extends QueueName>(name: Q, payload: PayloadOf<Q>, timeoutMs: number): Promise<WaitOutcome<Q>> {
    const events = await this.subscription(name);
    const jobId = await this.queues.enqueue(name, payload, {
      // Nobody reads these results after the response: keep them briefly, for the job status route.
      removeOnComplete: { age: 3600, count: 1000 },
      removeOnFail: { age: 24 * 3600, count: 1000 },
      attempts: 2,
    });
    const job = await this.queues.queue(name).getJob(jobId);
    if (job === undefined || job === null) return { state: 'failed', jobId, reason: 'the job disappeared' };
    try {
      const result = (await job.waitUntilFinished(events, timeoutMs)) as ResultOf<Q>;
      return { state: 'completed', jobId, result };
    } catch (error) {
      const state = await job.getState().catch(() => 'unknown');
      if (state === 'failed') {
        return { state: 'failed', jobId, reason: error instanceof Error ? error.message : String(error) };
      }
      await job.remove().catch(() => undefined);
      return { state: 'timeout', jobId };
    }
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.events.values()].map(async ({ events, connection }) => {
        await events.close();
        await connection.quit().catch(() => connection.disconnect());
      }),
    );
    this.events.clear();
  }
}
