// Real Redis, real HTTP: a job goes in through the shared queue client, a worker completes it, and the
// API reports its state and result.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildApi } from '@faceshot/api/app';
import { apiDependenciesOf } from '@faceshot/api/start-api';
import { loadConfig } from '@faceshot/core/config';
import { createLogger } from '@faceshot/core/logger';
import { JobQueues } from '@faceshot/core/queues/job-queues';
import type { StageProcessor } from '@faceshot/core/queues/stage-worker';
import { createRedis, waitForRedis } from '@faceshot/core/redis';
import {
  closeRuntime,
  createRuntime,
  type RunningRole,
  type Runtime,
  startWorkerRole,
} from '@faceshot/core/runtime';
import { SchemaError } from '@faceshot/core/schema';
import { FsObjectStore } from '@faceshot/core/storage/fs-object-store';
import { assertProblem, getJson, waitForJob } from './support/http.js';
import { type TestRedis, useTestRedis } from './support/test-redis.js';

describe('jobs through Redis and the API', () => {
  let redis: TestRedis;
  let root: string;
  let runtime: Runtime;
  let role: RunningRole;
  let baseUrl: string;
  let closeApi: () => Promise<void>;
  const attemptsSeen = new Map<number, number>();

  // A stand-in curate stage: reports progress, fails its first attempt when asked, and can return a
  // malformed result, so the shared worker wrapper is exercised end to end.
  const curate: StageProcessor<'curate'> = async (payload, context) => {
    await context.progress(50);
    attemptsSeen.set(payload.keepPerIdentity, context.attempt);
    if (payload.keepPerIdentity === 13 && context.attempt === 1) throw new Error('transient failure');
    if (payload.keepPerIdentity === 99) return { identities: -1, kept: 0, rejected: 0 };
    await context.progress(100);
    return { identities: 3, kept: payload.keepPerIdentity * 3, rejected: 1 };
  };

  before(async () => {
    redis = await useTestRedis('jobs');
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'faceshot-jobs-'));
    const config = loadConfig({
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      JOB_BACKOFF_MS: '50',
      LOG_LEVEL: 'silent',
      STORAGE_DIR: root,
      API_AUTH: 'open',
    });
    const logger = createLogger(config.log);
    runtime = await createRuntime(config, logger);
    role = startWorkerRole(runtime, 'extractor', [{ queue: 'curate', processor: curate }]);
    const app = await buildApi(apiDependenciesOf(runtime));
    baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    closeApi = () => app.close();
  });

  after(async () => {
    await closeApi();
    await role.stop();
    await closeRuntime(runtime);
    await redis.cleanup();
    await fs.rm(root, { recursive: true, force: true });
  });

  it('completes a job and reports state, progress, attempts, result and timestamps', async () => {
    const id = await runtime.queues.enqueue('curate', { datasetId: 'ds_ok', keepPerIdentity: 20 });
    const { body } = await waitForJob(baseUrl, 'curate', id);
    assert.equal(body.state, 'completed');
    assert.equal(body.id, id);
    assert.equal(body.queue, 'curate');
    assert.equal(body.progress, 100);
    assert.equal(body.attempts, 1);
    assert.equal(body.maxAttempts, 3);
    assert.deepEqual(body.result, { identities: 3, kept: 60, rejected: 1 });
    const timestamps = body.timestamps as Record<string, string>;
    assert.ok(Date.parse(timestamps.created ?? '') <= Date.parse(timestamps.finished ?? ''));
    assert.ok(timestamps.started);
  });

  it('fails a malformed payload at once, naming the field, and keeps working', async () => {
    const id = await runtime.queues.enqueueUnchecked('curate', {
      datasetId: 'ds_bad',
      keepPerIdentity: 'twenty',
    });
    const { body } = await waitForJob(baseUrl, 'curate', id);
    assert.equal(body.state, 'failed');
    assert.match(String(body.failedReason), /keepPerIdentity/);
    assert.equal(body.attempts, 1, 'a malformed payload must not be retried');
    const missing = await runtime.queues.enqueueUnchecked('curate', { keepPerIdentity: 5 });
    const missingStatus = await waitForJob(baseUrl, 'curate', missing);
    assert.match(String(missingStatus.body.failedReason), /datasetId/);
    const next = await runtime.queues.enqueue('curate', { datasetId: 'ds_after', keepPerIdentity: 2 });
    assert.equal((await waitForJob(baseUrl, 'curate', next)).body.state, 'completed');
  });

  it('refuses to enqueue a malformed payload', async () => {
    await assert.rejects(
      runtime.queues.enqueue('curate', { datasetId: '../etc', keepPerIdentity: 20 }),
      (error: unknown) => error instanceof SchemaError && error.field === 'datasetId',
    );
  });

  it('retries a failed attempt with backoff and then completes', async () => {
    const id = await runtime.queues.enqueue('curate', { datasetId: 'ds_retry', keepPerIdentity: 13 });
    const { body } = await waitForJob(baseUrl, 'curate', id);
    assert.equal(body.state, 'completed');
    assert.equal(body.attempts, 2);
    assert.equal(attemptsSeen.get(13), 2);
  });

  it('fails a job whose stage returns a malformed result, without retrying', async () => {
    const id = await runtime.queues.enqueue('curate', { datasetId: 'ds_shape', keepPerIdentity: 99 });
    const { body } = await waitForJob(baseUrl, 'curate', id);
    assert.equal(body.state, 'failed');
    assert.match(String(body.failedReason), /curate job result: identities/, JSON.stringify(body));
    assert.equal(body.attempts, 1);
  });

  it('answers unknown queues, jobs and routes with problem+json 404', async () => {
    assertProblem(await getJson(`${baseUrl}/v1/jobs/nope/1`), 404, /unknown queue "nope"/);
    assertProblem(await getJson(`${baseUrl}/v1/jobs/curate/does-not-exist`), 404, /no job "does-not-exist"/);
    assertProblem(await getJson(`${baseUrl}/v1/nothing-here`), 404, /no route for GET/);
  });

  it('answers health and readiness', async () => {
    assert.deepEqual((await getJson(`${baseUrl}/healthz`)).body, { status: 'ok' });
    const ready = await getJson(`${baseUrl}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body.checks, { redis: 'ok', storage: 'ok' });
  });
});

describe('readiness names what is down', () => {
  it('503 naming redis when Redis does not answer, and storage when the store fails', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'faceshot-ready-'));
    const blocker = path.join(root, 'a-file');
    await fs.writeFile(blocker, 'not a directory');
    const config = loadConfig({ LOG_LEVEL: 'silent', API_AUTH: 'open' });
    const logger = createLogger(config.log);
    // Nothing listens on port 1; the producer connection fails fast instead of hanging.
    const deadRedis = createRedis('redis://127.0.0.1:1', 'producer');
    deadRedis.on('error', () => undefined);
    const liveRedis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', 'producer');
    await waitForRedis(liveRedis, 5_000);
    const brokenStore = new FsObjectStore(path.join(blocker, 'objects'));
    const redisUrls = new Map([
      [deadRedis, 'redis://127.0.0.1:1'],
      [liveRedis, process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'],
    ]);
    const queues = new Map(
      [...redisUrls.keys()].map((redis) => [redis, new JobQueues(redis, 'faceshot-test-ready', {})]),
    );
    const apps = await Promise.all(
      [deadRedis, liveRedis].map((redis) =>
        buildApi({
          logger,
          redis,
          store: brokenStore,
          // The dashboard and the metrics make their Queue objects at start; nothing here uses them.
          queues: queues.get(redis) as JobQueues,
          datasets: undefined as never,
          models: undefined as never,
          limits: config.limits,
          extract: config.extract,
          predict: config.predict,
          eventsIntervalMs: 500,
          tempDir: root,
          gateway: config.gateway,
          redisUrl: redisUrls.get(redis) ?? '',
          redisPrefix: 'faceshot-test-ready',
        }),
      ),
    );
    try {
      const [deadResponse, liveResponse] = await Promise.all(
        apps.map((app) => app.inject({ url: '/readyz' })),
      );
      assert.equal(deadResponse?.statusCode, 503);
      assert.match(String(deadResponse?.headers['content-type']), /application\/problem\+json/);
      assert.match(deadResponse?.json().detail, /redis unreachable: connection is (connecting|reconnecting)/);
      assert.match(deadResponse?.json().detail, /storage unreachable/);
      assert.equal(liveResponse?.statusCode, 503);
      assert.doesNotMatch(liveResponse?.json().detail, /redis/);
      assert.match(liveResponse?.json().detail, /^storage unreachable: /);
    } finally {
      await Promise.all(apps.map((app) => app.close()));
      await Promise.all([...queues.values()].map((jobQueues) => jobQueues.close()));
      deadRedis.disconnect();
      liveRedis.disconnect();
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});
