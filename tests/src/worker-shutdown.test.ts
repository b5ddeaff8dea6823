// Graceful shutdown of a worker role: an active job finishes within the grace period; past it the
// worker lets go and the job is taken over by another worker (stalled-job recovery), never lost.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { loadConfig } from '@faceshot/core/config';
import { createLogger } from '@faceshot/core/logger';
import type { StageProcessor } from '@faceshot/core/queues/stage-worker';
import { closeRuntime, createRuntime, type Runtime, startWorkerRole } from '@faceshot/core/runtime';
import { pollUntil } from './support/poll.js';
import { type TestRedis, useTestRedis } from './support/test-redis.js';

let redis: TestRedis;
let root: string;

before(async () => {
  redis = await useTestRedis('shutdown');
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'faceshot-shutdown-'));
});
after(async () => {
  await redis.cleanup();
  await fs.rm(root, { recursive: true, force: true });
});

async function runtimeWith(env: Record<string, string>): Promise<Runtime> {
  const config = loadConfig({
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    STORAGE_DIR: root,
    LOG_LEVEL: 'silent',
    // Both tests share a prefix and so BullMQ's stalled-check lock, which lasts one lock duration.
    JOB_LOCK_MS: '5000',
    ...env,
  });
  return createRuntime(config, createLogger(config.log));
}

/** A stage that takes `keepPerIdentity` × 100 ms and tells the test when it has started. */
function slowCurate(onStart: () => void): StageProcessor<'curate'> {
  return async (payload) => {
    onStart();
    await new Promise((resolve) => setTimeout(resolve, payload.keepPerIdentity * 100));
    return { identities: 1, kept: payload.keepPerIdentity, rejected: 0 };
  };
}

/** Until `check` says true (every 50 ms). */
async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  await pollUntil(async () => ((await check()) ? true : undefined), timeoutMs, what, 50);
}

it('lets an active job finish before the worker stops', async () => {
  const runtime = await runtimeWith({ SHUTDOWN_GRACE_MS: '5000' });
  let started = false;
  const role = startWorkerRole(runtime, 'extractor', [
    {
      queue: 'curate',
      processor: slowCurate(() => {
        started = true;
      }),
    },
  ]);
  const id = await runtime.queues.enqueue('curate', { datasetId: 'ds_grace', keepPerIdentity: 10 });
  await waitFor(async () => started, 5_000, 'the job to start');
  await role.stop();
  const status = await runtime.queues.status('curate', id);
  assert.equal(status?.state, 'completed', 'stop() returned before the active job finished');
  await closeRuntime(runtime);
});

it('past the grace period, hands the job back and another worker completes it', async () => {
  const runtime = await runtimeWith({ SHUTDOWN_GRACE_MS: '200' });
  let starts = 0;
  const processor = slowCurate(() => {
    starts += 1;
  });
  const first = startWorkerRole(runtime, 'extractor', [{ queue: 'curate', processor }]);
  const id = await runtime.queues.enqueue('curate', { datasetId: 'ds_handback', keepPerIdentity: 30 });
  await waitFor(async () => starts === 1, 5_000, 'the job to start');
  const stopping = Date.now();
  await first.stop();
  assert.ok(
    Date.now() - stopping < 2_000,
    `stop took ${Date.now() - stopping} ms with a 200 ms grace period`,
  );
  const second = startWorkerRole(runtime, 'extractor', [{ queue: 'curate', processor }]);
  try {
    // The lock of the abandoned attempt expires after JOB_LOCK_MS; the stalled-job check then requeues it.
    await waitFor(
      async () => (await runtime.queues.status('curate', id))?.state === 'completed',
      25_000,
      'the handed-back job to complete on the second worker',
    );
    assert.equal(starts, 2);
  } finally {
    await second.stop();
    await closeRuntime(runtime);
  }
});
