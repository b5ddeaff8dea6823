// Face extraction over a dataset folder, per detector, in one run:
//  - raw engine: the extraction pool alone (decode, detect, landmarks, descriptor, align, crop), with
//    one thread (ms per photo) and with one per core (photos/s);
//  - end to end: the same photos uploaded to a dataset, then POST /extract until its curate job ends
//    (queue, storage, records, curation), an in-process API + extractor role with one thread per core.
// Every pool and stack starts first; the photos are then measured in interleaved rounds (each round a
// slice of the photos, each detector in turn, raw then end to end), so a change in the machine's load
// falls on all alike. The ratio end-to-end / raw (photos/s, one thread per core) is what the service
// costs beside the engine. An ONNX model (`onnx-<name>` in the list, installed in bench/onnx-models:
// `node bench/scripts/fetch-onnx-standin.mjs` fetches the stand-in) is measured the same way, its
// datasets extracted with `{"engine": "onnx-<name>"}`. Prints JSON:
//   npm run bench:extract -- [dataset=lfw-dev] [limit=200] [detectors=blazeface,ssd,onnx-faceplugin-standin] [rounds=4]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@faceshot/core/config';
import { type DetectorName, isDetectorName } from '@faceshot/core/engines/detector-name';
import { FACEAPI_ENGINE, isOnnxEngine, type OnnxEngineId } from '@faceshot/core/engines/face-engine-id';
import { extractorStages } from '@faceshot/extractor/stages';
import { postJson, startApiStack } from '@faceshot/tests/support/api-stack';
import { datasetsRoot } from '@faceshot/tests/support/datasets';
import { waitForJob } from '@faceshot/tests/support/http';
import { ExtractionPool } from '@faceshot/vision/extraction-pool';
import { extractionOptions } from '@faceshot/vision/face-extraction';

const cores = os.availableParallelism();
const [
  dataset = 'lfw-dev',
  limitArgument = '200',
  detectorsArgument = 'blazeface,ssd',
  roundsArgument = '4',
] = process.argv.slice(2);
const detectors = detectorsArgument.split(',').map((name) => {
  if (!isDetectorName(name) && !isOnnxEngine(name)) throw new Error(`unknown detector or engine "${name}"`);
  return name;
});
/** Where the benchmarks find ONNX models (the stand-in's fetch script puts it there; gitignored). */
const onnxModelsDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'onnx-models');
const limit = Number(limitArgument);
const files: { identity: string; file: string }[] = [];
for (const identity of fs.readdirSync(path.join(datasetsRoot, dataset)).sort()) {
  const directory = path.join(datasetsRoot, dataset, identity);
  if (!fs.statSync(directory).isDirectory()) continue;
  for (const file of fs.readdirSync(directory).sort())
    files.push({ identity, file: path.join(directory, file) });
}
// An even spread over identities when limited.
const step = Math.max(1, Math.floor(files.length / limit));
const selected = files.filter((_, index) => index % step === 0).slice(0, limit);
const defaults = loadConfig({});
const loadAtStart = os.loadavg().map((value) => Number(value.toFixed(2)));

type Photo = (typeof selected)[number];
type Outcomes = { face: number; 'no-face': number; rejected: number; padded: number; severalFaces: number };

interface RawEngine {
  threads: number;
  pool: ExtractionPool;
  seconds: number;
  outcomes: Outcomes;
}

async function rawEngine(detector: DetectorName | OnnxEngineId, threads: number): Promise<RawEngine> {
  const pool = new ExtractionPool(threads, {
    ...extractionOptions(defaults.extract, defaults.limits),
    ...(isOnnxEngine(detector) ? { engine: detector, onnxModelsDir } : { engine: FACEAPI_ENGINE, detector }),
  });
  // Warm-up: every thread loads its models before timing starts.
  await Promise.all(
    Array.from({ length: threads }, () => pool.extract(fs.readFileSync(selected[0]?.file ?? ''))),
  );
  return {
    threads,
    pool,
    seconds: 0,
    outcomes: { face: 0, 'no-face': 0, rejected: 0, padded: 0, severalFaces: 0 },
  };
}

async function runRaw(engine: RawEngine, photos: Photo[]): Promise<void> {
  const bytes = photos.map(({ file }) => fs.readFileSync(file));
  const started = performance.now();
  await Promise.all(
    bytes.map(async (photo) => {
      const result = await engine.pool.extract(photo);
      engine.outcomes[result.outcome] += 1;
      if (result.outcome === 'face' && result.face.padded) engine.outcomes.padded += 1;
      if (result.outcome === 'face' && result.face.faceCount > 1) engine.outcomes.severalFaces += 1;
    }),
  );
  engine.seconds += (performance.now() - started) / 1000;
}

interface Service {
  stack: Awaited<ReturnType<typeof startApiStack>>;
  seconds: number;
  kept: number;
}

async function service(detector: DetectorName | OnnxEngineId): Promise<Service> {
  const stack = await startApiStack(
    `extract-bench-${detector}`,
    {
      ...(isOnnxEngine(detector)
        ? { EXTRACT_ENGINE: detector, ONNX_MODELS_DIR: onnxModelsDir }
        : { EXTRACT_DETECTOR: detector }),
      EXTRACT_THREADS: String(cores),
      LOG_LEVEL: 'warn',
    },
    { extractor: extractorStages },
  );
  return { stack, seconds: 0, kept: 0 };
}

/** One new dataset per round: upload (not timed), then POST /extract until curation ends (timed). */
async function runService(target: Service, photos: Photo[], round: number): Promise<void> {
  const { baseUrl } = target.stack;
  const created = await postJson(`${baseUrl}/v1/datasets`, { name: `bench-${round}` });
  const datasetId = String(created.body.id);
  const form = new FormData();
  for (const { identity, file } of photos)
    form.append('file', new Blob([fs.readFileSync(file)]), `${identity}/${path.basename(file)}`);
  const upload = await fetch(`${baseUrl}/v1/datasets/${datasetId}/images`, { method: 'POST', body: form });
  if (upload.status !== 200) throw new Error(`upload: HTTP ${upload.status}`);
  const started = performance.now();
  const extract = await postJson(`${baseUrl}/v1/datasets/${datasetId}/extract`, {});
  const curate = await waitForJob(baseUrl, 'curate', String(extract.body.curateJobId), 3_600_000);
  if (curate.body.state !== 'completed') throw new Error(`curate: ${String(curate.body.failedReason)}`);
  target.seconds += (performance.now() - started) / 1000;
  target.kept += (curate.body.result as { kept?: number } | undefined)?.kept ?? 0;
}

const rate = (seconds: number) => Number((selected.length / seconds).toFixed(2));
const perPhoto = (seconds: number) => Number(((seconds * 1000) / selected.length).toFixed(1));
const rounds = Math.max(1, Number(roundsArgument));
const engines = new Map<string, { one: RawEngine; all: RawEngine; service: Service | undefined }>();
try {
  for (const detector of detectors)
    engines.set(detector, {
      one: await rawEngine(detector, 1),
      all: await rawEngine(detector, cores),
      service: await service(detector),
    });
  const slice = Math.ceil(selected.length / rounds);
  for (let round = 0; round < rounds; round++) {
    const photos = selected.slice(round * slice, (round + 1) * slice);
    if (photos.length === 0) break;
    for (const detector of detectors) {
      const engine = engines.get(detector);
      if (engine === undefined) continue;
      await runRaw(engine.one, photos);
      await runRaw(engine.all, photos);
      if (engine.service) await runService(engine.service, photos, round);
    }
  }
  const byDetector = Object.fromEntries(
    [...engines].map(([detector, { one, all, service: run }]) => [
      detector,
      {
        raw: [one, all].map((engine) => ({
          threads: engine.threads,
          backend: engine.pool.backend,
          photos: selected.length,
          ...engine.outcomes,
          faceFoundShare: Number((engine.outcomes.face / selected.length).toFixed(4)),
          msPerPhoto: perPhoto(engine.seconds),
          photosPerSecond: rate(engine.seconds),
        })),
        endToEnd: run && {
          threads: cores,
          photos: selected.length,
          kept: run.kept,
          msPerPhoto: perPhoto(run.seconds),
          photosPerSecond: rate(run.seconds),
        },
        endToEndOverRaw: run && Number((all.seconds / run.seconds).toFixed(3)),
      },
    ]),
  );
  const [first, second] = detectors;
  const firstRun = first === undefined ? undefined : engines.get(first);
  const secondRun = second === undefined ? undefined : engines.get(second);
  process.stdout.write(
    `${JSON.stringify(
      {
        benchmark: 'extract-throughput',
        date: new Date().toISOString(),
        dataset,
        cores,
        rounds,
        /** 1/5/15-minute load averages: other work on the machine distorts absolute figures. */
        loadAverage: { start: loadAtStart, end: os.loadavg().map((value) => Number(value.toFixed(2))) },
        detectors: byDetector,
        ...(firstRun && secondRun
          ? {
              [`photos/s, ${first} / ${second}`]: {
                raw1Thread: Number((secondRun.one.seconds / firstRun.one.seconds).toFixed(2)),
                rawAllThreads: Number((secondRun.all.seconds / firstRun.all.seconds).toFixed(2)),
                endToEnd:
                  secondRun.service && firstRun.service
                    ? Number((secondRun.service.seconds / firstRun.service.seconds).toFixed(2))
                    : null,
              },
            }
          : {}),
      },
      null,
      2,
    )}\n`,
  );
} finally {
  for (const { one, all, service: run } of engines.values()) {
    await one.pool.close();
    await all.pool.close();
    await run?.stack.stop();
  }
}
