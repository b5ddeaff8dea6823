// A trained model against faceapi-baseline on a dataset folder, through the real stages in-process
// (extract → curate → pairs → train) on a local storage folder, so runs can repeat without the
// extraction: the card holds both protocols and both models' figures. Prints JSON.
//   npm run bench:trained -- --dir ../shared/datasets/lfw-dev --test-people 50 [--held-out 5]
//     [--architecture transfer] [--store /tmp/faceshot-bench-lfw] [--extract-only] [--hyper k=v,…]
//     [--keep <faces per person>] [--dataset-id <id>] [--model-id <id>] [--seed <n>]
//     [--pairs-per-class <n>]   (TRAIN_FAST_KERNELS, TRAIN_THREADS as for the trainer role)
// EXTRACT_ENGINE=onnx-<name> with ONNX_MODELS_DIR extracts with an installed ONNX model: the head is
// then trained on its embeddings, and "baseline" in the card is that model's own embedding.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '@faceshot/core/config';
import type { ModelCard } from '@faceshot/core/contracts/model-card';
import { FACEAPI_ENGINE } from '@faceshot/core/engines/face-engine-id';
import { createLogger } from '@faceshot/core/logger';
import { FsObjectStore } from '@faceshot/core/storage/fs-object-store';
import { storageKeys } from '@faceshot/core/storage/keys';
import { readJsonObject } from '@faceshot/core/storage/object-store';
import { readFaceRecords } from '@faceshot/extractor/curate-stage';
import { curateDataset } from '@faceshot/extractor/curation';
import { curationSettingsFor } from '@faceshot/extractor/curation-settings';
import { createExtractStage } from '@faceshot/extractor/extract-stage';
import { createPairsStage } from '@faceshot/trainer/pairs/pairs-stage';
import { createTrainStage } from '@faceshot/trainer/siamese/train-stage';
import { ExtractionPool } from '@faceshot/vision/extraction-pool';
import { extractionOptions } from '@faceshot/vision/face-extraction';
import { setFastTrainingKernels } from '@faceshot/vision/fast-training-kernels';
import { loadTrainingTensorflow } from '@faceshot/vision/training-tensorflow';

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
    keep: { type: 'string' },
    'model-id': { type: 'string', default: 'model_bench' },
    'dataset-id': { type: 'string' },
    'pairs-per-class': { type: 'string' },
  },
});
if (values.dir === undefined) throw new Error('--dir <folder of <identity>/<photo>> is required');
const dir = path.resolve(values.dir);
const config = loadConfig(process.env);
const engineSuffix =
  config.extract.engine === FACEAPI_ENGINE ? '' : `_${config.extract.engine.replace(/[^a-z0-9]/gi, '_')}`;
const datasetId =
  values['dataset-id'] ?? `bench_${path.basename(dir).replace(/[^a-z0-9]/gi, '_')}${engineSuffix}`;
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
// EXTRACT_DETECTOR, EXTRACT_ENGINE, EXTRACT_THREADS and CURATE_KEEP_PER_IDENTITY apply as they do to the services.
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
  const extract = createExtractStage({ store, extract: (bytes, engine) => pool.extract(bytes, engine) });
  let next = 0;
  let done = 0;
  const lane = async () => {
    while (next < missing.length) {
      const photo = missing[next++] as (typeof missing)[number];
      const bytes = fs.readFileSync(photo.file);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const rawKey = storageKeys.raw(
        datasetId,
        photo.identity,
        sha256,
        path.extname(photo.file).slice(1) || 'jpg',
      );
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
  process.stdout.write(
    `${JSON.stringify({ extracted: missing.length, photos: photos.length, extractionSeconds })}\n`,
  );
  process.exit(0);
}

// 2. Curation as a pipeline does it, then pairs (identity split + held-out photos) and training.
const records = await readFaceRecords(store, datasetId);
const keepPerIdentity = Number(values.keep ?? config.extract.keepPerIdentity);
const curation = curateDataset(datasetId, records, new Map(), {
  ...(await curationSettingsFor(config.extract.engine, config.extract.onnxModelsDir)),
  keepPerIdentity,
});
await store.put(storageKeys.curation(datasetId), Buffer.from(JSON.stringify(curation)));
const people = new Set(records.map((record) => record.identity)).size;
const testShare =
  values['test-people'] !== undefined
    ? Number(values['test-people']) / people
    : Number(values['test-share'] ?? 0.2);
const seed = Number(values.seed);
const pairsId = `pairs_${values['model-id']}`;
const pairsStarted = performance.now();
await createPairsStage({ store, graySize: config.extract.graySize })(
  {
    datasetId,
    pairsId,
    seed,
    pairsPerClass: Number(values['pairs-per-class'] ?? (values.architecture === 'seed' ? 20_000 : 2_000)),
    validationShare: 0.15,
    testShare,
    heldOutPhotos: Number(values['held-out']),
  },
  context,
);
const pairsSeconds = (performance.now() - pairsStarted) / 1000;
const hyperparameters: Record<string, number> = { seed };
for (const part of (values.hyper ?? '').split(',').filter((entry) => entry !== '')) {
  const [name, value] = part.split('=');
  if (name !== undefined) hyperparameters[name] = Number(value);
}
const trainStarted = performance.now();
// As the trainer role runs it: TRAIN_FAST_KERNELS and TRAIN_THREADS from the environment.
await createTrainStage({
  store,
  loadTensorflow: async () => {
    const loaded = await loadTrainingTensorflow();
    setFastTrainingKernels(loaded.tf, config.train.fastKernels);
    return loaded;
  },
  trainingThreads: config.train.threads,
})(
  {
    modelId: values['model-id'],
    pairsId,
    architecture: values.architecture === 'seed' ? 'seed' : 'transfer',
    hyperparameters,
  },
  context,
);
const trainSeconds = (performance.now() - trainStarted) / 1000;
const card = (await readJsonObject<ModelCard>(
  store,
  storageKeys.modelFile(values['model-id'], 'card.json'),
)) as ModelCard;
const table = (Object.values(card.protocols) as ModelCard['protocols'][keyof ModelCard['protocols']][]).map(
  (protocol) => ({
    protocol: protocol.protocol,
    people: protocol.people,
    folds: protocol.folds,
    probes: protocol.probes,
    missed: protocol.missed,
    warning: protocol.warning,
    metrics: protocol.metrics.map((metric) => ({
      metric: metric.label,
      trained: metric.trained.value,
      trainedSd: metric.trained.sd,
      baseline: metric.baseline.value,
      baselineSd: metric.baseline.sd,
      beatsBaseline: metric.beatsBaseline,
    })),
  }),
);
process.stdout.write(
  `${JSON.stringify(
    {
      benchmark: 'trained-vs-baseline',
      date: new Date().toISOString(),
      dir,
      architecture: card.architecture,
      engine: card.engine ?? FACEAPI_ENGINE,
      load: os.loadavg(),
      people,
      photos: photos.length,
      keptFaces: Object.values(curation.faces).filter((face) => face.status === 'kept').length,
      split: {
        train: card.split.train.length,
        validation: card.split.validation.length,
        test: card.split.test.length,
      },
      folds: card.folds?.length ?? 1,
      hyperparameters: card.hyperparameters,
      threshold: card.thresholdRule,
      beatsBaseline: card.beatsBaseline,
      protocols: table,
      validation: card.validation,
      epochs: card.timings.epochs,
      seconds: { extraction: extractionSeconds, pairs: pairsSeconds, train: trainSeconds, total: seconds() },
    },
    (_, value) => (typeof value === 'number' ? Number(value.toFixed(4)) : value),
    2,
  )}\n`,
);
