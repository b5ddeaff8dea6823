// The crash window of StageContext.childrenFirst, which faults.test.ts hit with kill -9: an extractor
// died running a pipeline's curate job after it had added the extract jobs (and marked them added) but
// before parking the job. The job's next run (stalled-job recovery) must park it until the children are
// done; it used to go on and finish first, which BullMQ refuses ("has pending dependencies"), so every
// attempt failed and with it the pipeline. Here that state is set up directly, without a kill.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { loadConfig } from '@faceshot/core/config';
import { createLogger } from '@faceshot/core/logger';
import { closeWorkerGracefully, startStageWorker } from '@faceshot/core/queues/stage-worker';
import { createRedis } from '@faceshot/core/redis';
import { closeRuntime, createRuntime, type Runtime } from '@faceshot/core/runtime';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { pollUntil } from '../support/poll.js';
import { type TestRedis, useTestRedis } from '../support/test-redis.js';

let redis: TestRedis;
let runtime: Runtime;
const workers: { worker: Worker; connection: Redis }[] = [];

before(async () => {
  redis = await useTestRedis('children-first');
  const config = loadConfig({
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    LOG_LEVEL: 'silent',
    JOB_LOCK_MS: '5000',
  });
  runtime = await createRuntime(config, createLogger(config.log));
});

after(async () => {
  for (const { worker, connection } of workers) {
    await closeWorkerGracefully(worker, 1_000, runtime.logger);
    connection.disconnect();
  }
  await closeRuntime(runtime);
  await redis.cleanup();
});

function start(worker: (connection: Redis) => Worker): void {
  const connection = createRedis(redis.url, 'worker');
  workers.push({ worker: worker(connection), connection });
}

it('a re-run of a job whose children were added but are still pending waits for them', async () => {
  const datasetId = 'ds_children_first';
  const sha256 = 'a'.repeat(64);
  const child = { datasetId, identity: 'ada', rawKey: `datasets/${datasetId}/raw/ada/${sha256}.jpg`, sha256 };
  const parentId = await runtime.queues.enqueue(
    'curate',
    { datasetId, keepPerIdentity: 1, extractFirst: true },
    { attempts: 2 },
  );
  // What the dead worker's run left: the child job (pending, as childrenFirst names it) and the marker.
  await runtime.queues.queue('extract').add('extract', child, {
    jobId: `${parentId}-extract-0`,
    parent: { id: parentId, queue: `${redis.prefix}:curate` },
    ignoreDependencyOnFailure: true,
  });
  await runtime.producerRedis.set(`${redis.prefix}:meta:children:curate:${parentId}:extract`, '1');

  let runs = 0;
  const common = { prefix: redis.prefix, concurrency: 1, lockDurationMs: 5_000, logger: runtime.logger };
  start((connection) =>
    startStageWorker({
      ...common,
      queue: 'curate',
      connection,
      processor: async (_payload, context) => {
        runs += 1;
        await context.childrenFirst('extract', [child]);
        return { identities: 1, kept: 0, rejected: 0 };
      },
    }),
  );
  const parked = await pollUntil(
    async () => {
      const status = await runtime.queues.status('curate', parentId);
      return status?.state === 'waiting-children' || status?.state === 'failed' || (status?.attempts ?? 0) > 0
        ? status
        : undefined;
    },
    20_000,
    'the job to wait for its child',
    50,
  );
  assert.equal(parked.state, 'waiting-children', JSON.stringify(parked));
  assert.equal(parked.attempts, 0, 'no attempt failed');

  start((connection) =>
    startStageWorker({
      ...common,
      queue: 'extract',
      connection,
      processor: async () => ({ outcome: 'no-face', faceCount: 0, reason: 'a test photo' }),
    }),
  );
  const done = await pollUntil(
    async () => {
      const status = await runtime.queues.status('curate', parentId);
      return status?.state === 'completed' || status?.state === 'failed' ? status : undefined;
    },
    20_000,
    'the job to complete after its child',
    50,
  );
  assert.equal(done.state, 'completed', JSON.stringify(done));
  assert.equal(runs, 2, 'run once to park, once to finish');
});
