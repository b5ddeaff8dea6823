// A job that fails with a connection error is handed back without using an attempt (storage outage),
// but only a bounded number of times: one that resets the connection on every run then fails.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createLogger } from '@faceshot/core/logger';
import { startStageWorker } from '@faceshot/core/queues/stage-worker';
import { createRedis } from '@faceshot/core/redis';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { type TestRedis, useTestRedis } from './support/test-redis.js';

let redis: TestRedis;
let connection: Redis;

before(async () => {
  redis = await useTestRedis('hand-backs');
  connection = createRedis(redis.url, 'worker');
});
after(async () => {
  connection.disconnect();
  await redis.cleanup();
});

it('fails a job after MAX hand-backs instead of handing it back forever', async () => {
  let runs = 0;
  const worker = startStageWorker({
    queue: 'curate',
    connection,
    prefix: redis.prefix,
    concurrency: 1,
    lockDurationMs: 5_000,
    logger: createLogger({ level: 'silent', format: 'json' }),
    unreachablePauseMs: 20,
    maxHandBacks: 3,
    processor: async () => {
      runs += 1;
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    },
  });
  const queue = new Queue('curate', { connection, prefix: redis.prefix });
  const eventsConnection = createRedis(redis.url, 'worker');
  const events = new QueueEvents('curate', { connection: eventsConnection, prefix: redis.prefix });
  try {
    await events.waitUntilReady();
    const job = await queue.add('curate', { datasetId: 'ds_handback', keepPerIdentity: 1 }, { attempts: 1 });
    const failed = new Promise<string>((resolve) => {
      events.on('failed', ({ jobId, failedReason }) => {
        if (jobId === job.id) resolve(failedReason);
      });
    });
    const reason = await Promise.race([
      failed,
      new Promise<string>((_resolve, reject) =>
        setTimeout(() => reject(new Error(`job still looping after ${runs} runs`)), 15_000),
      ),
    ]);
    assert.match(reason, /socket hang up/);
    // Three hand-backs without using an attempt, then the fourth run's error counts.
    assert.equal(runs, 4);
    assert.equal(await connection.exists(`${redis.prefix}:meta:hand-backs:curate:${job.id}`), 0);
  } finally {
    await worker.close();
    await events.close();
    await queue.close();
    eventsConnection.disconnect();
  }
});
