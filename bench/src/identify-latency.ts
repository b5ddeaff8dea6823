// Identify latency over HTTP: one 250×250 lfw-dev photo sent to POST /v1/models/:id/identify again
// and again, by 1 client and by 4 concurrent clients; p50/p95 of the whole request (upload, queue,
// detection, embedding, gallery search, answer). In-process stack: API + one predictor process with
// PREDICT_THREADS detection threads, real Redis, filesystem storage; faceapi-baseline, 10 people enrolled.
//   npm run bench:identify -- [requestsPerClient=30]
import { openAsBlob } from 'node:fs';
import os from 'node:os';
import { predictorStages } from '@faceshot/predictor/stages';
import { startApiStack } from '@faceshot/tests/support/api-stack';
import { identitiesOf, photosOf } from '@faceshot/tests/support/datasets';

const requestsPerClient = Number(process.argv[2] ?? '30');
const threads = String(os.availableParallelism());
const stack = await startApiStack(
  'identify-latency',
  { PREDICT_THREADS: threads, RATE_LIMIT_PER_MINUTE: '0', LOG_LEVEL: 'warn' },
  { predictor: predictorStages },
);
const model = 'faceapi-baseline';

async function post(url: string, file: string, fields: Record<string, string> = {}): Promise<number> {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  body.append('photo', await openAsBlob(file), 'photo.jpg');
  const response = await fetch(url, { method: 'POST', body });
  await response.arrayBuffer();
  return response.status;
}

function percentile(sorted: number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))] ?? Number.NaN;
}

try {
  const people = identitiesOf('lfw-dev')
    .filter((person) => photosOf('lfw-dev', person).length >= 2)
    .slice(0, 10);
  for (const person of people) {
    const status = await post(
      `${stack.baseUrl}/v1/models/${model}/identities`,
      photosOf('lfw-dev', person)[0] ?? '',
      {
        identity: person,
      },
    );
    if (status !== 201) throw new Error(`enrol ${person}: HTTP ${status}`);
  }
  const query = photosOf('lfw-dev', people[0] ?? '')[1] ?? '';
  const url = `${stack.baseUrl}/v1/models/${model}/identify?faces=all&topK=5`;
  for (let warm = 0; warm < 4; warm++) await post(url, query);

  const results: Record<string, unknown> = {};
  for (const clients of [1, 4]) {
    const latencies: number[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        for (let request = 0; request < requestsPerClient; request++) {
          const begin = performance.now();
          const status = await post(url, query);
          if (status !== 200) throw new Error(`identify: HTTP ${status}`);
          latencies.push(performance.now() - begin);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    results[`${clients}-client${clients === 1 ? '' : 's'}`] = {
      requests: latencies.length,
      p50Ms: Number(percentile(latencies, 0.5).toFixed(1)),
      p95Ms: Number(percentile(latencies, 0.95).toFixed(1)),
      maxMs: Number((latencies.at(-1) ?? 0).toFixed(1)),
      requestsPerSecond: Number((latencies.length / seconds).toFixed(2)),
    };
  }
  process.stdout.write(
    `${JSON.stringify(
      {
        benchmark: 'identify-latency',
        date: new Date().toISOString(),
        cores: os.availableParallelism(),
        predictThreads: Number(threads),
        model,
        galleryIdentities: people.length,
        photo: '250x250 JPEG (lfw-dev), every face',
        results,
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await stack.stop();
}
