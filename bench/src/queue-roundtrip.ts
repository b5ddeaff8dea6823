// Queue overhead: enqueue → worker → completed, for a stage that does nothing, against real Redis.
// Prints JSON. `npm run bench:queue` (REDIS_URL as for the services; uses its own key prefix).
import { randomUUID } from 'node:crypto';
import { loadConfig } from '@faceshot/core/config';
import { createLogger } from '@faceshot/core/logger';
import { closeRuntime, createRuntime, startWorkerRole } from '@faceshot/core/runtime';
import { QueueEvents } from 'bullmq';

const SEQUENTIAL_JOBS = 300;
const BURST_JOBS = 2_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const prefix = `faceshot-bench-${randomUUID().slice(0, 8)}`;
const config = loadConfig({
  ...process.env,
  REDIS_PREFIX: prefix,
  LOG_LEVEL: 'warn',
  WORKER_CONCURRENCY: '8',
});
const runtime = await createRuntime(config, createLogger(config.log));
const role = startWorkerRole(runtime, 'extractor', [
  {
    queue: 'curate',
    processor: async (payload) => ({ identities: 0, kept: payload.keepPerIdentity, rejected: 0 }),
  },
]);
const events = new QueueEvents('curate', { connection: { url: config.redis.url }, prefix });
await events.waitUntilReady();
const queue = runtime.queues.queue('curate');

const latencies: number[] = [];
for (let index = 0; index < SEQUENTIAL_JOBS; index++) {
  const started = performance.now();
  const job = await queue.add('curate', { datasetId: 'bench', keepPerIdentity: 1 });
  await job.waitUntilFinished(events, 10_000);
  latencies.push(performance.now() - started);
}
latencies.sort((a, b) => a - b);

let completed = 0;
const burstDone = new Promise<void>((resolve) => {
  events.on('completed', () => {
    completed += 1;
    if (completed === BURST_JOBS) resolve();
  });
});
const burstStarted = performance.now();
await queue.addBulk(
  Array.from({ length: BURST_JOBS }, () => ({
    name: 'curate',
    data: { datasetId: 'bench', keepPerIdentity: 1 },
  })),
);
await burstDone;
const burstSeconds = (performance.now() - burstStarted) / 1000;

await events.close();
await role.stop();
await queue.obliterate({ force: true });
await closeRuntime(runtime);

process.stdout.write(
  `${JSON.stringify(
    {
      benchmark: 'queue-roundtrip',
      date: new Date().toISOString(),
      node: process.version,
      sequential: {
        jobs: SEQUENTIAL_JOBS,
        p50Ms: Number(percentile(latencies, 50).toFixed(2)),
        p95Ms: Number(percentile(latencies, 95).toFixed(2)),
      },
      burst: { jobs: BURST_JOBS, workerConcurrency: 8, jobsPerSecond: Math.round(BURST_JOBS / burstSeconds) },
    },
    null,
    2,
  )}\n`,
);
