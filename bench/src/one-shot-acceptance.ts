// One-shot identification through the HTTP API, the way a user does it (issue #6's acceptance):
//  1. train a transfer model on lfw-dev minus 30 held-out people (they are never trained on);
//  2. enrol 10 held-out people from ONE photo each, in the transfer model and in faceapi-baseline;
//  3. identify 5 other photos of each (50 queries): top-1 accuracy;
//  4. photos of the other 20 held-out people (never enrolled): the share answered "unknown";
//  5. again with the training people enrolled too (one reference each) as distractors.
// Everything runs in this process on the in-process test stack (real Redis, filesystem storage).
//   npm run bench:one-shot -- [heldOutSeed=7]
import { openAsBlob } from 'node:fs';
import os from 'node:os';
import { seededRandom, shuffled as shuffledWith } from '@faceshot/core/seeded-random';
import { extractorStages } from '@faceshot/extractor/stages';
import { predictorStages } from '@faceshot/predictor/stages';
import { postJson, startApiStack } from '@faceshot/tests/support/api-stack';
import { identitiesOf, photosOf } from '@faceshot/tests/support/datasets';
import { getJson, waitForJob } from '@faceshot/tests/support/http';
import { pairsStages, trainerStages } from '@faceshot/trainer/stages';

const seed = Number(process.argv[2] ?? '7');
const DATASET = 'lfw-dev';
const started = performance.now();
const log = (message: string) =>
  process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0)} s] ${message}\n`);

const random = seededRandom(seed);
const shuffled = <T>(items: readonly T[]) => shuffledWith(items, random);

const everyone = identitiesOf(DATASET);
const enrolled = shuffled(everyone.filter((person) => photosOf(DATASET, person).length >= 6)).slice(0, 10);
const strangers = shuffled(everyone.filter((person) => !enrolled.includes(person))).slice(0, 20);
const training = everyone.filter((person) => !enrolled.includes(person) && !strangers.includes(person));

const stack = await startApiStack(
  'one-shot',
  {
    EXTRACT_THREADS: '2',
    PREDICT_THREADS: '2',
    PREDICT_TIMEOUT_MS: '120000',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '0',
  },
  { extractor: extractorStages, pairs: pairsStages, trainer: trainerStages, predictor: predictorStages },
);
const api = stack.baseUrl;

async function form(url: string, files: [string, string][], fields: Record<string, string> = {}) {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  for (const [file, name] of files) body.append('photo', await openAsBlob(file), name);
  const response = await fetch(url, { method: 'POST', body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

try {
  // 1. The training dataset and the transfer model.
  const datasetId = String((await postJson(`${api}/v1/datasets`, { name: 'lfw-train' })).body.id);
  const files = training.flatMap((person) =>
    photosOf(DATASET, person).map((file): [string, string] => [file, `${person}/${file.split('/').pop()}`]),
  );
  for (let start = 0; start < files.length; start += 300) {
    const upload = await form(`${api}/v1/datasets/${datasetId}/images`, files.slice(start, start + 300));
    if (upload.status !== 200) throw new Error(`upload: ${JSON.stringify(upload.body)}`);
  }
  log(`uploaded ${files.length} photos of ${training.length} people; extracting`);
  const extract = await postJson(`${api}/v1/datasets/${datasetId}/extract`, {});
  await waitForJob(api, 'curate', String(extract.body.curateJobId), 3 * 3600_000);
  log('curated; training the transfer model');
  const created = await postJson(`${api}/v1/models`, {
    datasetId,
    architecture: 'transfer',
    autoEnrol: false,
  });
  const train = await waitForJob(api, 'train', String(created.body.trainJobId), 3600_000);
  if (train.body.state !== 'completed')
    throw new Error(`training failed: ${String(train.body.failedReason)}`);
  const transferId = String(created.body.id);
  const card = (await getJson(`${api}/v1/models/${transferId}`)).body.card as {
    threshold: number;
    metrics: Record<string, number>;
  };
  log(`trained ${transferId}: threshold ${card.threshold}, test AUC ${card.metrics.testAuc}`);

  const models = [transferId, 'faceapi-baseline'];
  // 2. One photo each.
  for (const model of models) {
    for (const person of enrolled) {
      const photo = photosOf(DATASET, person)[0] ?? '';
      const answer = await form(`${api}/v1/models/${model}/identities`, [[photo, 'photo.jpg']], {
        identity: person,
      });
      if (answer.status !== 201)
        throw new Error(`enrol ${person} in ${model}: ${JSON.stringify(answer.body)}`);
    }
  }
  log('enrolled 10 people in both models');

  interface Face {
    identity: string;
    distance: number | null;
  }
  async function identify(model: string, photo: string): Promise<Face | undefined> {
    const answer = await form(`${api}/v1/models/${model}/identify?faces=primary&topK=1`, [
      [photo, 'query.jpg'],
    ]);
    if (answer.status === 422) return undefined;
    if (answer.status !== 200) throw new Error(`identify: ${JSON.stringify(answer.body)}`);
    return (answer.body.faces as Face[])[0];
  }

  async function evaluate(model: string) {
    let correct = 0;
    let answeredUnknown = 0;
    let noFace = 0;
    const queries = enrolled.flatMap((person) =>
      photosOf(DATASET, person)
        .slice(1, 6)
        .map((photo) => ({ person, photo })),
    );
    for (const { person, photo } of queries) {
      const face = await identify(model, photo);
      if (face === undefined) noFace++;
      else if (face.identity === person) correct++;
      else if (face.identity === 'unknown') answeredUnknown++;
    }
    let unknown = 0;
    let strangerQueries = 0;
    for (const person of strangers) {
      for (const photo of photosOf(DATASET, person).slice(0, 3)) {
        const face = await identify(model, photo);
        if (face === undefined) continue;
        strangerQueries++;
        if (face.identity === 'unknown') unknown++;
      }
    }
    return {
      queries: queries.length,
      top1Accuracy: Number((correct / queries.length).toFixed(3)),
      enrolledAnsweredUnknown: answeredUnknown,
      noFace,
      strangerPeople: strangers.length,
      strangerQueries,
      strangersAnsweredUnknown: Number((unknown / strangerQueries).toFixed(3)),
    };
  }

  const tenPeople: Record<string, unknown> = {};
  for (const model of models) {
    tenPeople[model] = await evaluate(model);
    log(`${model}, gallery of 10: ${JSON.stringify(tenPeople[model])}`);
  }

  // 5. The training people as distractors: one reference photo each, the most typical.
  for (const model of models) {
    const id = await stack.runtime.queues.enqueue('enrol', {
      action: 'enrol-dataset',
      modelId: model,
      datasetId,
      photosPerIdentity: 1,
    });
    await waitForJob(api, 'enrol', id, 600_000);
  }
  const withDistractors: Record<string, unknown> = {};
  for (const model of models) {
    withDistractors[model] = await evaluate(model);
    log(`${model}, gallery of ${10 + training.length}: ${JSON.stringify(withDistractors[model])}`);
  }

  process.stdout.write(
    `${JSON.stringify(
      {
        benchmark: 'one-shot-acceptance',
        date: new Date().toISOString(),
        cores: os.availableParallelism(),
        dataset: DATASET,
        seed,
        enrolled,
        strangers,
        trainingPeople: training.length,
        transferModel: { id: transferId, threshold: card.threshold, metrics: card.metrics },
        baselineThreshold: 0.6,
        galleryOf10: tenPeople,
        [`galleryOf${10 + training.length}`]: withDistractors,
        seconds: Math.round((performance.now() - started) / 1000),
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await stack.stop();
}
