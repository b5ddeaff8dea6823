// A trained model against faceapi-baseline on a dataset folder, through the real stages in-process
// (extract → curate → pairs → train) on a local storage folder, so runs can repeat without the
// extraction: the card holds both protocols and both models' figures. Prints JSON.
//   npm run bench:trained -- --dir ../shared/datasets/lfw-dev --test-people 50 [--held-out 5]
//     [--architecture transfer] [--store /tmp/faceshot-bench-lfw] [--extract-only] [--hyper k=v,…]
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { curateDataset, DEFAULT_CURATION } from '@faceshot/extractor/curation';
import { createExtractStage } from '@faceshot/extractor/extract-stage';
import { ExtractionPool } from '@faceshot/extractor/extraction-pool';
import { extractionOptions } from '@faceshot/extractor/face-extraction';
import { loadConfig } from '@faceshot/shared/config';
import type { FaceRecord } from '@faceshot/shared/datasets/face-record';
import { createLogger } from '@faceshot/shared/logger';
import { FsObjectStore } from '@faceshot/shared/storage/fs-object-store';
import { storageKeys } from '@faceshot/shared/storage/keys';
import { readJsonObject } from '@faceshot/shared/storage/object-store';
import { loadTrainingTensorflow } from '@faceshot/shared/vision/training-tensorflow';
import { createPairsStage } from '@faceshot/trainer/pairs/pairs-stage';
import { createTrainStage } from '@faceshot/trainer/siamese/train-stage';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    'test-people': { type: 'string' },
    'test-share': { type: 'string' },
    'held-out': { type: 'string', default: '5' },
    architecture: { type: 'string', default: 'transfer' },
    store: { type: 'string' },
    'extract-only': { type: 'boolean' },
    hyper: { type: 'string' },
    seed: { type: 'string', default: '1' },
  },
});
if (values.dir === undefined) throw new Error('--dir <folder of <identity>/<photo>> is required');
const dir = path.resolve(values.dir);
const datasetId = `bench_${path.basename(dir).replace(/[^a-z0-9]/gi, '_')}`;
const storeDir = path.resolve(values.store ?? path.join(os.tmpdir(), `faceshot-bench-${path.basename(dir)}`));
const store = new FsObjectStore(storeDir);
const log = createLogger({ level: 'silent', format: 'json' });
const progressLines: string[] = [];
const context = {
  jobId: '1',
  attempt: 1,
  log,
  progress: async (value: unknown) => {
    if (typeof value === 'object' && value !== null && 'epoch' in value) {
      const line = JSON.stringify(value);
      progressLines.push(line);
      process.stderr.write(`${line}\n`);
    }
  },
  childrenFirst: async () => undefined,
};
const started = performance.now();
const seconds = () => Number(((performance.now() - started) / 1000).toFixed(1));

// 1. Extraction, once per photo (records already in the storage folder are kept).
const config = loadConfig({});
const photos: { identity: string; file: string }[] = [];
for (const identity of fs.readdirSync(dir).sort()) {
  if (!fs.statSync(path.join(dir, identity)).isDirectory()) continue;
  for (const file of fs.readdirSync(path.join(dir, identity)).sort())
    photos.push({ identity, file: path.join(dir, identity, file) });
}
const missing = photos.filter(
  (photo) =>
    !fs.existsSync(
      path.join(
        storeDir,
        storageKeys.faceRecord(
          datasetId,
          photo.identity,
          createHash('sha256').update(fs.readFileSync(photo.file)).digest('hex'),
        ),
      ),
    ),
);
if (missing.length > 0) {
  const threads = config.extract.threads;
  process.stderr.write(`extracting ${missing.length} of ${photos.length} photos on ${threads} threads\n`);
  const pool = new ExtractionPool(threads, extractionOptions(config.extract, config.limits));
  const extract = createExtractStage({ store, extract: (bytes) => pool.extract(bytes) });
  let next = 0;
  let done = 0;
  const lane = async () => {
    while (next < missing.length) {
      const photo = missing[next++] as (typeof missing)[number];
      const bytes = fs.readFileSync(photo.file);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const rawKey = storageKeys.raw(datasetId, photo.identity, sha256, path.extname(photo.file).slice(1) || 'jpg');
      await store.put(rawKey, bytes);
      await extract({ datasetId, identity: photo.identity, rawKey, sha256 }, context);
      if (++done % 100 === 0) process.stderr.write(`  ${done}/${missing.length} (${seconds()} s)\n`);
    }
  };
  await Promise.all(Array.from({ length: threads * 2 }, lane));
  await pool.close();
}
const extractionSeconds = seconds();
if (values['extract-only']) {
  process.stdout.write(`${JSON.stringify({ extracted: missing.length, photos: photos.length, extractionSeconds })}\n`);
  process.exit(0);
}
