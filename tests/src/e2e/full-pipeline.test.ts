// End to end across real processes: every role as its own OS process (two extractors), S3 storage,
// Redis under this file's own prefix, the API with a real API key. Over HTTP: create a dataset,
// upload 8 LFW people × 5 photos, run a pipeline (extract → curate → pairs → train → enrol), check
// every stage's objects in storage and the model card, then identify a held-back photo of each person.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { freePort } from '@faceshot/core/free-port';
import {
  checkExtractionOutputs,
  describePipeline,
  E2eClient,
  listKeys,
  type PipelineStatus,
  s3Environment,
  samplePeople,
} from '../support/e2e-api.js';
import { apiUrlOf, RoleSupervisor } from '../support/role-processes.js';
import { type TestRedis, useTestRedis } from '../support/test-redis.js';
import { startTestS3, type TestS3 } from '../support/test-s3.js';

const KEY = randomBytes(24).toString('hex');
const STAGES = ['download', 'extract', 'curate', 'pairs', 'train', 'enrol'];

let redis: TestRedis | undefined;
let s3: TestS3 | undefined;
let root: string | undefined;
let roles: RoleSupervisor | undefined;
let client: E2eClient;

before(
  async () => {
    redis = await useTestRedis('e2e-full');
    s3 = await startTestS3();
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'faceshot-e2e-full-'));
    roles = new RoleSupervisor(
      {
        REDIS_URL: redis.url,
        REDIS_PREFIX: redis.prefix,
        ...s3Environment(s3.config),
        DATA_DIR: path.join(root, 'data'),
        TEMP_DIR: path.join(root, 'tmp'),
        API_PORT: String(await freePort()),
        API_AUTH: 'keys',
        API_KEYS: `e2e:write:${KEY}`,
        // One detection thread per process: two extractors and a predictor share two cores.
        EXTRACT_THREADS: '1',
        PREDICT_THREADS: '1',
        PREDICT_TIMEOUT_MS: '120000',
        LOG_LEVEL: 'info',
      },
      path.join(root, 'logs'),
    );
    await fs.mkdir(path.join(root, 'tmp'), { recursive: true });
    const supervisor = roles;
    await supervisor.diagnose(async () => {
      await Promise.all([
        supervisor.start('api'),
        supervisor.start('downloader'),
        supervisor.start('extractor', { name: 'extractor-a' }),
        supervisor.start('extractor', { name: 'extractor-b' }),
        supervisor.start('pairs'),
        supervisor.start('trainer'),
        supervisor.start('predictor'),
      ]);
    });
    client = new E2eClient(apiUrlOf(supervisor.env), KEY);
  },
  { timeout: 240_000 },
);

after(
  async () => {
    await roles?.stopAll();
    await s3?.stop();
    await redis?.cleanup();
    if (root !== undefined) {
      if (roles === undefined) await fs.rm(root, { recursive: true, force: true });
      else await roles.removeUnlessFailed(root);
    }
  },
  { timeout: 120_000 },
);

it('runs a whole pipeline across role processes over HTTP and identifies held-back photos', {
  timeout: 900_000,
}, async (t) => {
  const supervisor = roles as RoleSupervisor;
  const store = (s3 as TestS3).store;
  await supervisor.diagnose(async () => {
    t.diagnostic(`S3 server: ${(s3 as TestS3).source}`);
    // Every request carries the key; without it the API refuses.
    assert.equal((await fetch(`${client.baseUrl}/v1/datasets`)).status, 401);

    const sample = samplePeople('lfw-dev', { count: 8, perPerson: 5, heldBack: 1, offset: 20 });
    const datasetId = await client.createDataset('e2e-full');
    const started = Date.now();
    const photos = await client.upload(datasetId, sample.upload);
    assert.equal(photos.length, 40);
    t.diagnostic(`uploaded 40 photos in ${Date.now() - started} ms`);

    const created = await client.startPipeline(datasetId, {
      hyperparameters: { epochs: 5 },
      pairsPerClass: 200,
      validationShare: 0.25,
      testShare: 0.25,
    });
    assert.deepEqual(
      created.stages.map((stage) => stage.name),
      STAGES,
    );
    const pipelineStarted = Date.now();
    const finishedAt = new Map<string, number>();
    const { status } = await client.waitForPipeline(created.id, {
      timeoutMs: 720_000,
      onStatus: (current: PipelineStatus) => {
        for (const stage of current.stages) {
          if (['completed', 'skipped'].includes(stage.state) && !finishedAt.has(stage.name))
            finishedAt.set(stage.name, Date.now() - pipelineStarted);
        }
      },
    });
    assert.equal(status.state, 'completed', describePipeline(status));
    t.diagnostic(
      `pipeline completed in ${Date.now() - pipelineStarted} ms; stages done at (ms): ${JSON.stringify(Object.fromEntries(finishedAt))}`,
    );
    const modelId = status.modelId;

    // Extraction: one raw photo, one record per photo; one colour and one grey face per face found.
    const outputs = await checkExtractionOutputs(store, datasetId, photos);
    assert.deepEqual(outputs.problems, []);
    assert.ok(outputs.withFace >= 36, `faces found in only ${outputs.withFace} of 40 photos`);
    const extract = status.stages.find((stage) => stage.name === 'extract');
    assert.equal(extract?.jobs.total, 40);
    assert.equal(extract?.jobs.completed, 40);

    // Curation, pairs, model, gallery.
    const curation = JSON.parse((await store.get(`datasets/${datasetId}/curation.json`)).toString()) as {
      faces: Record<string, { identity: string; status: string }>;
    };
    assert.equal(Object.keys(curation.faces).length, outputs.withFace);
    const kept = Object.values(curation.faces).filter((face) => face.status === 'kept');
    const keptPeople = new Set(kept.map((face) => face.identity));
    assert.equal(keptPeople.size, 8, 'every person keeps faces');

    const model = await client.expect(200, 'GET', `/v1/models/${modelId}`);
    assert.equal(model.status, 'ready');
    const card = model.card as {
      architecture: string;
      threshold: number;
      metrics: Record<string, number>;
      split: Record<string, string[]>;
      folds?: string[][];
      data: { datasetId: string; pairsId: string };
    };
    assert.equal(card.data.datasetId, datasetId);
    const pairsId = card.data.pairsId;
    assert.deepEqual(await listKeys(store, `pairs/${pairsId}/`), [
      `pairs/${pairsId}/meta.json`,
      `pairs/${pairsId}/x1.npy`,
      `pairs/${pairsId}/x2.npy`,
      `pairs/${pairsId}/y.npy`,
    ]);
    assert.deepEqual(await listKeys(store, `models/${modelId}/`), [
      `models/${modelId}/card.json`,
      `models/${modelId}/model.json`,
      `models/${modelId}/weights.bin`,
    ]);
    const gallery = await listKeys(store, `galleries/${modelId}/`);
    assert.equal(gallery.length, 8, `one reference photo per person: ${gallery.join(', ')}`);
    assert.equal(model.galleryIdentities, 8);

    // The model card.
    assert.equal(card.architecture, 'transfer');
    assert.ok(card.threshold > 0, `threshold ${card.threshold}`);
    for (const metric of ['testAuc', 'oneShotAllWay', 'heldOutTop1']) {
      assert.equal(typeof card.metrics[metric], 'number', `card.metrics.${metric}: ${card.metrics[metric]}`);
      assert.ok(Number.isFinite(card.metrics[metric]), `card.metrics.${metric}`);
    }
    // Eight people: too few for one identity split, so protocol (a) is cross-validated over them.
    assert.equal(card.split.train?.length, 8);
    assert.ok((card.folds?.length ?? 0) >= 2, 'cross-validation folds on the card');
    t.diagnostic(`card: threshold ${card.threshold.toFixed(3)}, metrics ${JSON.stringify(card.metrics)}`);

    // Both extractors took part.
    const extracted = supervisor
      .running('extractor')
      .map(
        (extractor) =>
          [
            extractor.name,
            extractor.logs((line) => line.msg === 'job completed' && line.queue === 'extract').length,
          ] as const,
      );
    t.diagnostic(`extract jobs per extractor: ${JSON.stringify(Object.fromEntries(extracted))}`);
    assert.equal(extracted.length, 2);
    for (const [name, count] of extracted) assert.ok(count > 0, `${name} completed no extract job`);
    assert.equal(
      extracted.reduce((sum, [, count]) => sum + count, 0),
      40,
      'every extract job completed exactly once',
    );

    // One-shot identification of photos that were never uploaded.
    const misses: string[] = [];
    for (const photo of sample.heldBack) {
      const face = await client.identify(modelId, photo.file, 3);
      assert.ok(face !== undefined, `no face found in ${photo.file}`);
      const top = face.matches.map((match) => match.identity);
      if (!top.includes(photo.identity)) misses.push(`${photo.identity}: got ${top.join(', ')}`);
    }
    t.diagnostic(`held-back photos identified in the top 3: ${8 - misses.length} of 8`);
    assert.deepEqual(misses, [], 'the right person among the top 3');
    supervisor.assertNoneDied();
  });
});
