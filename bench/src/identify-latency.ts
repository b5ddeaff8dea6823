// Identify latency per face detector, in one run: one 250×250 lfw-dev photo identified again and
// again by 1 client and by 4 concurrent clients, two ways:
//  - raw engine: the detection pool alone (decode, detect, landmarks, descriptor, crops), with
//    PREDICT_THREADS threads, called as the predictor calls it;
//  - end to end: POST /v1/models/faceapi-baseline/identify over HTTP (upload, queue, detection,
//    embedding, gallery search, answer); in-process stack: API + a predictor role with PREDICT_THREADS
//    threads, real Redis, filesystem storage, 10 people enrolled.
// Every pool and stack starts first; then the measurements run in interleaved rounds (each round: each
// detector raw, then end to end), so a change in the machine's load falls on all of them alike. The
// ratio end-to-end / raw p50 is the service's cost beside the engine. An ONNX model in the list
// (`onnx-<name>`, installed in bench/onnx-models: `node bench/scripts/fetch-onnx-standin.mjs` fetches
// the stand-in) is measured the same way with its own nets, identified as model `onnx-<name>`.
// Prints JSON:
//   npm run bench:identify -- [requestsPerClient=30] [detectors=blazeface,ssd,onnx-faceplugin-standin] [rounds=3]
import fs, { openAsBlob } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@faceshot/core/config';
import { type DetectorName, isDetectorName } from '@faceshot/core/engines/detector-name';
import { FACEAPI_ENGINE, isOnnxEngine, type OnnxEngineId } from '@faceshot/core/engines/face-engine-id';
import { predictorStages } from '@faceshot/predictor/stages';
import { startApiStack } from '@faceshot/tests/support/api-stack';
import { identitiesOf, photosOf } from '@faceshot/tests/support/datasets';
import { ExtractionPool } from '@faceshot/vision/extraction-pool';
import { extractionOptions } from '@faceshot/vision/face-extraction';

const requestsPerClient = Number(process.argv[2] ?? '30');
const detectors = (process.argv[3] ?? 'blazeface,ssd').split(',').map((name) => {
  if (!isDetectorName(name) && !isOnnxEngine(name)) throw new Error(`unknown detector or engine "${name}"`);
  return name;
});
const threads = os.availableParallelism();
/** The model identified with: faceapi-baseline on a detector's faces, or the ONNX model itself. */
const modelOf = (detector: string) => (isOnnxEngine(detector) ? detector : 'faceapi-baseline');
/** Where the benchmarks find ONNX models (the stand-in's fetch script puts it there; gitignored). */
const onnxModelsDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'onnx-models');
const CLIENTS = [1, 4];
const loadAtStart = os.loadavg().map((value) => Number(value.toFixed(2)));

const people = identitiesOf('lfw-dev')
  .filter((person) => photosOf('lfw-dev', person).length >= 2)
  .slice(0, 10);
const query = photosOf('lfw-dev', people[0] ?? '')[1] ?? '';

function percentile(sorted: number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))] ?? Number.NaN;
}

type Call = () => Promise<void>;

async function rawEngine(
  detector: DetectorName | OnnxEngineId,
): Promise<{ call: Call; close(): Promise<void> }> {
  const defaults = loadConfig({});
  const pool = new ExtractionPool(threads, {
    ...extractionOptions(defaults.extract, defaults.limits),
    ...(isOnnxEngine(detector) ? { engine: detector, onnxModelsDir } : { engine: FACEAPI_ENGINE, detector }),
  });
  const bytes = fs.readFileSync(query);
  const call = async () => {
    const result = await pool.faces(bytes, 'all');
    if (result.outcome !== 'faces') throw new Error(`raw ${detector}: ${result.outcome}`);
  };
  // Warm-up: every thread loads its models.
  for (let warm = 0; warm < threads; warm++) await Promise.all(Array.from({ length: threads }, call));
  return { call, close: () => pool.close() };
}

async function post(url: string, file: string, fields: Record<string, string> = {}): Promise<number> {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  body.append('photo', await openAsBlob(file), 'photo.jpg');
  const response = await fetch(url, { method: 'POST', body });
  await response.arrayBuffer();
  return response.status;
}

async function service(
  detector: DetectorName | OnnxEngineId,
): Promise<{ call: Call; close(): Promise<void> }> {
  const model = modelOf(detector);
  const stack = await startApiStack(
    `identify-latency-${detector}`,
    {
      ...(isOnnxEngine(detector) ? { ONNX_MODELS_DIR: onnxModelsDir } : { EXTRACT_DETECTOR: detector }),
      PREDICT_THREADS: String(threads),
      // A loaded machine must slow the figures down, not fail the run.
      PREDICT_TIMEOUT_MS: '600000',
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
    for (let warm = 0; warm < 2 * threads; warm++) await call();
    return { call, close: () => stack.stop() };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

/** `clients` concurrent callers, each making `requests` calls in turn: every latency and the wall time. */
async function batch(clients: number, requests: number, call: Call) {
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let request = 0; request < requests; request++) {
        const begin = performance.now();
        await call();
        latencies.push(performance.now() - begin);
      }
    }),
  );
  return { latencies, seconds: (performance.now() - started) / 1000 };
}

function summary(latencies: number[], seconds: number) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    requests: sorted.length,
    p50Ms: Number(percentile(sorted, 0.5).toFixed(1)),
    p95Ms: Number(percentile(sorted, 0.95).toFixed(1)),
    maxMs: Number((sorted.at(-1) ?? 0).toFixed(1)),
    requestsPerSecond: Number((sorted.length / seconds).toFixed(2)),
  };
}

const rounds = Math.max(1, Number(process.argv[4] ?? '3'));
const ways = ['raw', 'endToEnd'] as const;
const targets = new Map<string, { call: Call; close(): Promise<void> }>();
const key = (detector: string, way: string) => `${detector}/${way}`;
try {
  for (const detector of detectors) {
    targets.set(key(detector, 'raw'), await rawEngine(detector));
    targets.set(key(detector, 'endToEnd'), await service(detector));
  }
  const collected = new Map<string, { latencies: number[]; seconds: number }>();
  for (const clients of CLIENTS) {
    for (let round = 0; round < rounds; round++) {
      const requests = Math.ceil(requestsPerClient / rounds);
      for (const detector of detectors) {
        for (const way of ways) {
          const target = targets.get(key(detector, way));
          if (target === undefined) continue;
          const measured = await batch(clients, requests, target.call);
          const entry = collected.get(`${key(detector, way)}/${clients}`) ?? { latencies: [], seconds: 0 };
          entry.latencies.push(...measured.latencies);
          entry.seconds += measured.seconds;
          collected.set(`${key(detector, way)}/${clients}`, entry);
        }
      }
    }
  }
  const clientsLabel = (clients: number) => `${clients}-client${clients === 1 ? '' : 's'}`;
  const figure = (detector: string, way: string, clients: number) => {
    const entry = collected.get(`${key(detector, way)}/${clients}`) ?? { latencies: [], seconds: 1 };
    return summary(entry.latencies, entry.seconds);
  };
  const byDetector = Object.fromEntries(
    detectors.map((detector) => [
      detector,
      {
        ...Object.fromEntries(
          ways.map((way) => [
            way,
            Object.fromEntries(
              CLIENTS.map((clients) => [clientsLabel(clients), figure(detector, way, clients)]),
            ),
          ]),
        ),
        endToEndOverRaw: Object.fromEntries(
          CLIENTS.map((clients) => {
            const [raw, http] = [figure(detector, 'raw', clients), figure(detector, 'endToEnd', clients)];
            return [
              clientsLabel(clients),
              {
                p50: Number((http.p50Ms / raw.p50Ms).toFixed(2)),
                requestsPerSecond: Number((http.requestsPerSecond / raw.requestsPerSecond).toFixed(2)),
              },
            ];
          }),
        ),
      },
    ]),
  );
  const [first, second] = detectors;
  const comparison =
    first !== undefined && second !== undefined
      ? {
          [`${second} / ${first}`]: Object.fromEntries(
            ways.flatMap((way) =>
              CLIENTS.map((clients) => [
                `${way} ${clientsLabel(clients)} p50`,
                Number((figure(second, way, clients).p50Ms / figure(first, way, clients).p50Ms).toFixed(2)),
              ]),
            ),
          ),
        }
      : {};
  process.stdout.write(
    `${JSON.stringify(
      {
        benchmark: 'identify-latency',
        date: new Date().toISOString(),
        cores: threads,
        predictThreads: threads,
        /** 1/5/15-minute load averages: other work on the machine distorts absolute figures. */
        loadAverage: { start: loadAtStart, end: os.loadavg().map((value) => Number(value.toFixed(2))) },
        models: Object.fromEntries(detectors.map((detector) => [detector, modelOf(detector)])),
        galleryIdentities: people.length,
        photo: '250x250 JPEG (lfw-dev), every face',
        rounds,
        detectors: byDetector,
        ...comparison,
      },
      null,
      2,
    )}\n`,
  );
} finally {
  for (const target of targets.values()) await target.close();
}
