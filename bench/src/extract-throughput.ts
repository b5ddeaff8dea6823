// Face extraction over a dataset folder, per detector, in one run:
//  - raw engine: the extraction pool alone (decode, detect, landmarks, descriptor, align, crop), with
//    one thread (ms per photo) and with one per core (photos/s);
//  - end to end: the same photos uploaded to a dataset, then POST /extract until its curate job ends
//    (queue, storage, records, curation), an in-process API + extractor role with one thread per core.
// The ratio end-to-end / raw (photos/s) is what the service costs beside the engine. Prints JSON:
//   npm run bench:extract -- [dataset=lfw-dev] [limit=200] [detectors=blazeface,ssd] [threads=1,<cores>]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExtractionPool } from '@faceshot/extractor/extraction-pool';
import { extractionOptions } from '@faceshot/extractor/face-extraction';
import { extractorStages } from '@faceshot/extractor/stages';
import { loadConfig } from '@faceshot/shared/config';
import { type DetectorName, isDetectorName } from '@faceshot/shared/vision/face-detector';
import { postJson, startApiStack } from '@faceshot/tests/support/api-stack';
import { datasetsRoot } from '@faceshot/tests/support/datasets';
import { waitForJob } from '@faceshot/tests/support/http';

const cores = os.availableParallelism();
const [
  dataset = 'lfw-dev',
  limitArgument = '200',
  detectorsArgument = 'blazeface,ssd',
  threadsArgument = cores > 1 ? `1,${cores}` : '1',
] = process.argv.slice(2);
const detectors = detectorsArgument.split(',').map((name) => {
  if (!isDetectorName(name)) throw new Error(`unknown detector "${name}"`);
  return name;
});
const threadCounts = threadsArgument.split(',').map(Number);
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

async function raw(detector: DetectorName, threads: number) {
  const pool = new ExtractionPool(threads, {
    ...extractionOptions(defaults.extract, defaults.limits),
    detector,
  });
  // Warm-up: every thread loads its models before timing starts.
  await Promise.all(
    Array.from({ length: threads }, () => pool.extract(fs.readFileSync(selected[0]?.file ?? ''))),
  );
  const outcomes = { face: 0, 'no-face': 0, rejected: 0, padded: 0, severalFaces: 0 };
  const started = performance.now();
  await Promise.all(
    selected.map(async ({ file }) => {
      const result = await pool.extract(fs.readFileSync(file));
      outcomes[result.outcome] += 1;
      if (result.outcome === 'face' && result.face.padded) outcomes.padded += 1;
      if (result.outcome === 'face' && result.face.faceCount > 1) outcomes.severalFaces += 1;
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const backend = pool.backend;
  await pool.close();
  return {
    threads,
    backend,
    photos: selected.length,
    ...outcomes,
    faceFoundShare: Number((outcomes.face / selected.length).toFixed(4)),
    msPerPhoto: Number(((seconds * 1000) / selected.length).toFixed(1)),
    photosPerSecond: Number((selected.length / seconds).toFixed(2)),
  };
}

async function endToEnd(detector: DetectorName) {
  const stack = await startApiStack(
    `extract-bench-${detector}`,
    { EXTRACT_DETECTOR: detector, EXTRACT_THREADS: String(cores), LOG_LEVEL: 'warn' },
    { extractor: extractorStages },
  );
  try {
    const created = await postJson(`${stack.baseUrl}/v1/datasets`, { name: `bench-${detector}` });
    const datasetId = String(created.body.id);
    const form = new FormData();
    for (const { identity, file } of selected)
      form.append('file', new Blob([fs.readFileSync(file)]), `${identity}/${path.basename(file)}`);
    const upload = await fetch(`${stack.baseUrl}/v1/datasets/${datasetId}/images`, {
      method: 'POST',
      body: form,
    });
    if (upload.status !== 200) throw new Error(`upload: HTTP ${upload.status}`);
    const started = performance.now();
    const extract = await postJson(`${stack.baseUrl}/v1/datasets/${datasetId}/extract`, {});
    const curate = await waitForJob(stack.baseUrl, 'curate', String(extract.body.curateJobId), 3_600_000);
    if (curate.body.state !== 'completed') throw new Error(`curate: ${String(curate.body.failedReason)}`);
    const seconds = (performance.now() - started) / 1000;
    return {
      threads: cores,
      photos: selected.length,
      kept: (curate.body.result as { kept?: number } | undefined)?.kept,
      msPerPhoto: Number(((seconds * 1000) / selected.length).toFixed(1)),
      photosPerSecond: Number((selected.length / seconds).toFixed(2)),
    };
  } finally {
    await stack.stop();
  }
}

const byDetector: Record<string, unknown> = {};
for (const detector of detectors) {
  const rawRuns = [];
  for (const threads of threadCounts) rawRuns.push(await raw(detector, threads));
  const service = await endToEnd(detector);
  const rawAllCores = rawRuns.find((run) => run.threads === cores) ?? rawRuns.at(-1);
  byDetector[detector] = {
    raw: rawRuns,
    endToEnd: service,
    endToEndShareOfRaw: Number(
      (service.photosPerSecond / (rawAllCores?.photosPerSecond ?? Number.NaN)).toFixed(3),
    ),
  };
}
const [first, second] = detectors;
const speedup =
  first !== undefined && second !== undefined
    ? {
        [`${first}Over${second[0]?.toUpperCase()}${second.slice(1)}`]: Object.fromEntries(
          ['raw1Thread', 'endToEnd'].map((which) => {
            const rate = (detector: string) => {
              const entry = byDetector[detector] as {
                raw: { photosPerSecond: number }[];
                endToEnd: { photosPerSecond: number };
              };
              return which === 'endToEnd'
                ? entry.endToEnd.photosPerSecond
                : (entry.raw[0]?.photosPerSecond ?? 0);
            };
            return [which, Number((rate(first) / rate(second)).toFixed(2))];
          }),
        ),
      }
    : undefined;
process.stdout.write(
  `${JSON.stringify(
    {
      benchmark: 'extract-throughput',
      date: new Date().toISOString(),
      dataset,
      cores,
      /** 1/5/15-minute load averages: other work on the machine distorts absolute figures. */
      loadAverage: { start: loadAtStart, end: os.loadavg().map((value) => Number(value.toFixed(2))) },
      detectors: byDetector,
      speedup,
    },
    null,
    2,
  )}\n`,
);
