// Identify latency per face detector, in one run: one 250×250 lfw-dev photo identified again and
// again by 1 client and by 4 concurrent clients, two ways:
//  - raw engine: the detection pool alone (decode, detect, landmarks, descriptor, crops), with
//    PREDICT_THREADS threads, called as the predictor calls it;
//  - end to end: POST /v1/models/faceapi-baseline/identify over HTTP (upload, queue, detection,
//    embedding, gallery search, answer); in-process stack: API + a predictor role with PREDICT_THREADS
//    threads, real Redis, filesystem storage, 10 people enrolled.
// The ratio end-to-end / raw p50 is the service's cost beside the engine. Prints JSON:
//   npm run bench:identify -- [requestsPerClient=30] [detectors=blazeface,ssd]
import fs, { openAsBlob } from 'node:fs';
import os from 'node:os';
import { ExtractionPool } from '@faceshot/extractor/extraction-pool';
import { extractionOptions } from '@faceshot/extractor/face-extraction';
import { predictorStages } from '@faceshot/predictor/stages';
import { loadConfig } from '@faceshot/shared/config';
import { type DetectorName, isDetectorName } from '@faceshot/shared/vision/face-detector';
import { startApiStack } from '@faceshot/tests/support/api-stack';
import { identitiesOf, photosOf } from '@faceshot/tests/support/datasets';

const requestsPerClient = Number(process.argv[2] ?? '30');
const detectors = (process.argv[3] ?? 'blazeface,ssd').split(',').map((name) => {
  if (!isDetectorName(name)) throw new Error(`unknown detector "${name}"`);
  return name;
});
const threads = os.availableParallelism();
const model = 'faceapi-baseline';
const CLIENTS = [1, 4];
const loadAtStart = os.loadavg().map((value) => Number(value.toFixed(2)));

const people = identitiesOf('lfw-dev')
  .filter((person) => photosOf('lfw-dev', person).length >= 2)
  .slice(0, 10);
const query = photosOf('lfw-dev', people[0] ?? '')[1] ?? '';

function percentile(sorted: number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))] ?? Number.NaN;
}

/** Latencies of `clients` concurrent callers, each making requestsPerClient calls in turn. */
async function measure(clients: number, call: () => Promise<void>) {
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let request = 0; request < requestsPerClient; request++) {
        const begin = performance.now();
        await call();
        latencies.push(performance.now() - begin);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    p50Ms: Number(percentile(latencies, 0.5).toFixed(1)),
    p95Ms: Number(percentile(latencies, 0.95).toFixed(1)),
    maxMs: Number((latencies.at(-1) ?? 0).toFixed(1)),
    requestsPerSecond: Number((latencies.length / seconds).toFixed(2)),
  };
}

async function raw(detector: DetectorName) {
  const defaults = loadConfig({});
  const pool = new ExtractionPool(threads, {
    ...extractionOptions(defaults.extract, defaults.limits),
    detector,
  });
  const bytes = fs.readFileSync(query);
  const call = async () => {
    const result = await pool.faces(bytes, 'all');
    if (result.outcome !== 'faces') throw new Error(`raw ${detector}: ${result.outcome}`);
  };
  try {
    for (let warm = 0; warm < 2 * threads; warm++) await Promise.all([call(), call()]);
    const results: Record<string, Awaited<ReturnType<typeof measure>>> = {};
    for (const clients of CLIENTS)
      results[`${clients}-client${clients === 1 ? '' : 's'}`] = await measure(clients, call);
    return results;
  } finally {
    await pool.close();
  }
}

async function post(url: string, file: string, fields: Record<string, string> = {}): Promise<number> {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  body.append('photo', await openAsBlob(file), 'photo.jpg');
  const response = await fetch(url, { method: 'POST', body });
  await response.arrayBuffer();
  return response.status;
}

async function endToEnd(detector: DetectorName) {
  const stack = await startApiStack(
    `identify-latency-${detector}`,
    {
      EXTRACT_DETECTOR: detector,
      PREDICT_THREADS: String(threads),
      RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
    },
    { predictor: predictorStages },
  );
  try {
    for (const person of people) {
      const status = await post(
        `${stack.baseUrl}/v1/models/${model}/identities`,
        photosOf('lfw-dev', person)[0] ?? '',
        { identity: person },
      );
      if (status !== 201) throw new Error(`enrol ${person}: HTTP ${status}`);
    }
    const url = `${stack.baseUrl}/v1/models/${model}/identify?faces=all&topK=5`;
    const call = async () => {
      const status = await post(url, query);
      if (status !== 200) throw new Error(`identify: HTTP ${status}`);
    };
    for (let warm = 0; warm < 4; warm++) await call();
    const results: Record<string, Awaited<ReturnType<typeof measure>>> = {};
    for (const clients of CLIENTS)
      results[`${clients}-client${clients === 1 ? '' : 's'}`] = await measure(clients, call);
    return results;
  } finally {
    await stack.stop();
  }
}

const byDetector: Record<string, unknown> = {};
const p50s: Record<string, { raw: number; endToEnd: number }> = {};
for (const detector of detectors) {
  const engine = await raw(detector);
  const service = await endToEnd(detector);
  const ratios = Object.fromEntries(
    Object.keys(service).map((clients) => [
      clients,
      {
        p50: Number(((service[clients]?.p50Ms ?? 0) / (engine[clients]?.p50Ms ?? Number.NaN)).toFixed(2)),
        requestsPerSecond: Number(
          (
            (service[clients]?.requestsPerSecond ?? 0) / (engine[clients]?.requestsPerSecond ?? Number.NaN)
          ).toFixed(2),
        ),
      },
    ]),
  );
  byDetector[detector] = { raw: engine, endToEnd: service, endToEndOverRaw: ratios };
  p50s[detector] = { raw: engine['1-client']?.p50Ms ?? 0, endToEnd: service['1-client']?.p50Ms ?? 0 };
}
const [first, second] = detectors;
process.stdout.write(
  `${JSON.stringify(
    {
      benchmark: 'identify-latency',
      date: new Date().toISOString(),
      cores: threads,
      predictThreads: threads,
      /** 1/5/15-minute load averages: other work on the machine distorts absolute figures. */
      loadAverage: { start: loadAtStart, end: os.loadavg().map((value) => Number(value.toFixed(2))) },
      model,
      galleryIdentities: people.length,
      photo: '250x250 JPEG (lfw-dev), every face',
      detectors: byDetector,
      ...(first !== undefined && second !== undefined
        ? {
            [`p50 1 client, ${second} / ${first}`]: {
              raw: Number(((p50s[second]?.raw ?? 0) / (p50s[first]?.raw ?? Number.NaN)).toFixed(2)),
              endToEnd: Number(
                ((p50s[second]?.endToEnd ?? 0) / (p50s[first]?.endToEnd ?? Number.NaN)).toFixed(2),
              ),
            },
          }
        : {}),
    },
    null,
    2,
  )}\n`,
);
