// Face extraction over a dataset folder: share of photos with a face found, and ms per photo with one
// extraction thread and with one per core. Prints JSON. Pure compute (no Redis or storage):
//   npm run bench:extract -- [dataset=lfw-dev] [limit=200] [threads=1,<cores>]   (dataset under ../shared/datasets)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExtractionPool } from '@faceshot/extractor/extraction-pool';
import { extractionOptions } from '@faceshot/extractor/face-extraction';
import { loadConfig } from '@faceshot/shared/config';
import { datasetsRoot } from '@faceshot/tests/support/datasets';

const cores = os.availableParallelism();
const [dataset = 'lfw-dev', limitArgument = '200', threadsArgument = cores > 1 ? `1,${cores}` : '1'] =
  process.argv.slice(2);
const threadCounts = threadsArgument.split(',').map(Number);
const limit = Number(limitArgument);
const files: string[] = [];
for (const identity of fs.readdirSync(path.join(datasetsRoot, dataset)).sort()) {
  const directory = path.join(datasetsRoot, dataset, identity);
  if (!fs.statSync(directory).isDirectory()) continue;
  for (const file of fs.readdirSync(directory).sort()) files.push(path.join(directory, file));
}
// An even spread over identities when limited.
const step = Math.max(1, Math.floor(files.length / limit));
const selected = files.filter((_, index) => index % step === 0).slice(0, limit);
const defaults = loadConfig({});
const options = extractionOptions(defaults.extract, defaults.limits);

async function run(threads: number) {
  const pool = new ExtractionPool(threads, options);
  // Warm-up: every thread loads its models before timing starts.
  await Promise.all(Array.from({ length: threads }, () => pool.extract(fs.readFileSync(selected[0] ?? ''))));
  const outcomes = { face: 0, 'no-face': 0, rejected: 0, padded: 0, severalFaces: 0 };
  const started = performance.now();
  await Promise.all(
    selected.map(async (file) => {
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

const results = [];
for (const threads of threadCounts) results.push(await run(threads));
process.stdout.write(
  `${JSON.stringify({ benchmark: 'extract-throughput', date: new Date().toISOString(), dataset, cores, detector: defaults.extract.detector, results }, null, 2)}\n`,
);
