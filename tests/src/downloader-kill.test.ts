// kill -9 of a downloader process mid-job: the job's lock expires and another downloader completes it.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { loadConfig } from '@faceshot/core/config';
import { createLogger } from '@faceshot/core/logger';
import { closeRuntime, createRuntime, type Runtime } from '@faceshot/core/runtime';
import { identitiesOf, photosOf, repoRoot } from './support/datasets.js';
import { type PhotoServer, startPhotoServer } from './support/photo-server.js';
import { type TestRedis, useTestRedis } from './support/test-redis.js';

let redis: TestRedis;
let server: PhotoServer;
let root: string;
let runtime: Runtime;
let env: Record<string, string>;
const children: ChildProcess[] = [];

before(async () => {
  redis = await useTestRedis('dlkill');
  server = await startPhotoServer('127.0.0.2');
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'faceshot-dlkill-'));
  env = {
    PATH: process.env.PATH ?? '',
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    STORAGE_DIR: path.join(root, 'objects'),
    TEMP_DIR: path.join(root, 'tmp'),
    DOWNLOAD_ALLOW_CIDRS: '127.0.0.2',
    JOB_LOCK_MS: '5000',
    LOG_FORMAT: 'json',
  };
  const config = loadConfig({ ...env, LOG_LEVEL: 'silent' });
  runtime = await createRuntime(config, createLogger(config.log));
});

after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await closeRuntime(runtime);
  await server.close();
  await redis.cleanup();
  await fs.rm(root, { recursive: true, force: true });
});

function startDownloader(): ChildProcess {
  const child = spawn(process.execPath, [path.join(repoRoot, 'services/downloader/dist/main.js')], {
    env,
    stdio: 'ignore',
  });
  children.push(child);
  return child;
}

it('another downloader completes the job of one killed with SIGKILL', async () => {
  const dataset = await runtime.datasets.create('kill-test');
  const identity = identitiesOf('lfw-dev')[7] ?? '';
  const photo = `lfw-dev/${identity}/${photosOf('lfw-dev', identity)[0]?.split('/').pop()}`;
  let holds = 0;
  const firstHold = new Promise<void>((resolve) => {
    server.onHold = () => {
      holds += 1;
      resolve();
    };
  });
  const first = startDownloader();
  const jobId = await runtime.queues.enqueue('download', {
    datasetId: dataset.id,
    identity,
    source: { kind: 'url', url: `${server.origin}/hold/2000/${photo}` },
  });
  await firstHold;
  first.kill('SIGKILL');
  await new Promise((resolve) => first.once('exit', resolve));
  startDownloader();
  const deadline = Date.now() + 40_000;
  let state: string | undefined;
  while (Date.now() < deadline) {
    state = (await runtime.queues.status('download', jobId))?.state;
    if (state === 'completed' || state === 'failed') break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.equal(state, 'completed');
  assert.equal(holds, 2, 'the second downloader fetched the photo again');
  const keys: string[] = [];
  for await (const object of runtime.store.list(`datasets/${dataset.id}/raw/`)) keys.push(object.key);
  assert.equal(keys.length, 1, 'the photo is stored exactly once');
  assert.equal((await runtime.datasets.images(dataset.id)).length, 1);
});
