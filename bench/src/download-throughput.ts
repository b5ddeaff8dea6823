// Downloads per second from a local photo server (real lfw-dev JPEGs), with 1 and 4 downloader
// processes. Prints JSON. `npm run bench:download` (needs Redis as for the services).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@faceshot/core/config';
import { createLogger } from '@faceshot/core/logger';
import { closeRuntime, createRuntime } from '@faceshot/core/runtime';
import { identitiesOf, photosOf } from '@faceshot/tests/support/datasets';
import { startPhotoServer } from '@faceshot/tests/support/photo-server';
import { deleteKeysWithPrefix } from '@faceshot/tests/support/test-redis';

const PHOTOS = 300;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const server = await startPhotoServer('127.0.0.2');
const photos = identitiesOf('lfw-dev')
  .flatMap((identity) =>
    photosOf('lfw-dev', identity).map((file) => ({
      identity,
      path: path.relative(path.resolve(repoRoot, '../shared/datasets'), file),
    })),
  )
  .slice(0, PHOTOS);
const prefix = `faceshot-bench-dl-${randomUUID().slice(0, 8)}`;
const root = await fs.mkdtemp(path.join(os.tmpdir(), 'faceshot-bench-dl-'));
const env: Record<string, string> = {
  PATH: process.env.PATH ?? '',
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  REDIS_PREFIX: prefix,
  STORAGE_DIR: path.join(root, 'objects'),
  TEMP_DIR: path.join(root, 'tmp'),
  DOWNLOAD_ALLOW_CIDRS: '127.0.0.2',
  // The bench measures the pipeline, not politeness: no spacing, several requests per host.
  DOWNLOAD_PER_HOST_INTERVAL_MS: '0',
  DOWNLOAD_PER_HOST_CONCURRENCY: '8',
  LOG_LEVEL: 'warn',
  LOG_FORMAT: 'json',
};
const config = loadConfig({ ...env, LOG_LEVEL: 'silent' });
const runtime = await createRuntime(config, createLogger(config.log));

async function run(processes: number): Promise<Record<string, number>> {
  const children: ChildProcess[] = Array.from({ length: processes }, () =>
    spawn(process.execPath, [path.join(repoRoot, 'services/downloader/dist/main.js')], {
      env,
      stdio: 'ignore',
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 1500)); // let the workers connect
  const dataset = await runtime.datasets.create(`bench-${processes}-${randomUUID().slice(0, 6)}`);
  const started = performance.now();
  const ids = await runtime.queues.enqueueMany(
    'download',
    photos.map((photo) => ({
      datasetId: dataset.id,
      identity: photo.identity,
      source: { kind: 'url' as const, url: `${server.origin}/photos/${photo.path}` },
    })),
  );
  const queue = runtime.queues.queue('download');
  for (;;) {
    const counts = await queue.getJobCounts('completed', 'failed');
    if ((counts.completed ?? 0) + (counts.failed ?? 0) >= ids.length) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const seconds = (performance.now() - started) / 1000;
  const failed = (await queue.getJobCounts('failed')).failed ?? 0;
  await queue.obliterate({ force: true });
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((child) => new Promise((resolve) => child.once('exit', resolve))));
  return {
    processes,
    jobsPerProcess: 4,
    photos: ids.length,
    failed,
    seconds: Number(seconds.toFixed(2)),
    downloadsPerSecond: Number((ids.length / seconds).toFixed(1)),
  };
}

const results = [await run(1), await run(4)];
await closeRuntime(runtime);
await deleteKeysWithPrefix(env.REDIS_URL ?? '', prefix);
await server.close();
await fs.rm(root, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({ benchmark: 'download-throughput', date: new Date().toISOString(), cores: os.availableParallelism(), source: 'lfw-dev JPEGs (250x250) from a local HTTP server', results }, null, 2)}\n`,
);
