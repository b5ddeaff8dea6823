// A dataset described by an operator-installed ONNX model end to end: extraction records its engine
// and net, curation compares in the model's own (cosine) metric, a transfer head is trained on its
// embeddings (3 values: the tiny test model's mean colour), and the predictor reads query photos
// with the same model. An unknown engine is refused before anything is queued.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { IdentifiedFace } from '@faceshot/client/faceshot-client';
import { storageKeys } from '@faceshot/core/storage/keys';
import { extractorStages } from '@faceshot/extractor/stages';
import { predictorStages } from '@faceshot/predictor/stages';
import { pairsStages, trainerStages } from '@faceshot/trainer/stages';
import { writeTinyOnnxModel, writeTinyScrfdModel } from '@faceshot/vision/onnx/tiny-onnx-model';
import sharp from 'sharp';
import { type ApiStack, postJson, startApiStack } from './support/api-stack.js';
import { assertProblem, getJson, waitForJob } from './support/http.js';
import { pollUntil } from './support/poll.js';

const ENGINE = 'onnx-tiny';

/** Each person is a hue; their photos are shades of it (the tiny model's embedding is the mean colour). */
const PEOPLE: Record<string, [number, number, number]> = {
  Red: [220, 30, 30],
  Green: [30, 200, 40],
  Blue: [30, 40, 220],
  Yellow: [210, 200, 30],
  Cyan: [30, 200, 210],
  Magenta: [200, 30, 200],
  Orange: [230, 120, 20],
  Violet: [110, 40, 200],
};

const shade = ([r, g, b]: [number, number, number], factor: number) =>
  sharp({
    create: {
      width: 200,
      height: 160,
      channels: 3,
      background: { r: Math.round(r * factor), g: Math.round(g * factor), b: Math.round(b * factor) },
    },
  })
    .png()
    .toBuffer();

describe('a dataset extracted, curated and trained with an ONNX model', () => {
  let stack: ApiStack;
  let modelsDir: string;

  before(async () => {
    modelsDir = await mkdtemp(path.join(tmpdir(), 'faceshot-onnx-dataset-'));
    await writeTinyOnnxModel(modelsDir, 'tiny', 'cosine');
    await writeTinyScrfdModel(modelsDir, 'scrfd');
    stack = await startApiStack(
      'onnx-dataset',
      { PREDICT_THREADS: '1', EXTRACT_THREADS: '1', ONNX_MODELS_DIR: modelsDir },
      { extractor: extractorStages, pairs: pairsStages, trainer: trainerStages, predictor: predictorStages },
    );
  });
  after(async () => {
    await stack?.stop();
    await rm(modelsDir, { recursive: true, force: true });
  });

  it('runs a pipeline on the model: records, curation, card and answers all in its embedding space', async () => {
    const datasetId = String((await postJson(`${stack.baseUrl}/v1/datasets`, { name: 'colours' })).body.id);
    const form = new FormData();
    for (const [person, colour] of Object.entries(PEOPLE))
      for (const [index, factor] of [1, 0.9, 0.8, 0.7].entries())
        form.append(
          'file',
          new Blob([new Uint8Array(await shade(colour, factor))], { type: 'image/png' }),
          `${person}/${index}.png`,
        );
    const upload = await fetch(`${stack.baseUrl}/v1/datasets/${datasetId}/images`, {
      method: 'POST',
      body: form,
    });
    assert.equal(upload.status, 200);

    assertProblem(
      await postJson(`${stack.baseUrl}/v1/pipelines`, { datasetId, options: { engine: 'onnx-absent' } }),
      409,
      /no ONNX model "onnx-absent" is installed/,
    );
    assertProblem(
      await postJson(`${stack.baseUrl}/v1/pipelines`, { datasetId, options: { engine: 'dlib' } }),
      400,
      /engine/,
    );

    const created = await postJson(`${stack.baseUrl}/v1/pipelines`, {
      datasetId,
      options: {
        engine: ENGINE,
        architecture: 'transfer',
        hyperparameters: { epochs: 2 },
        pairsPerClass: 40,
        validationShare: 0.25,
        testShare: 0.25,
      },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const pipelineId = String(created.body.id);
    const pipeline = await pollUntil(
      async () => {
        const answer = await getJson(`${stack.baseUrl}/v1/pipelines/${pipelineId}`);
        return ['completed', 'failed'].includes(String(answer.body.state)) ? answer : undefined;
      },
      240_000,
      `pipeline ${pipelineId} to end`,
      250,
    );
    assert.equal(pipeline.body.state, 'completed', JSON.stringify(pipeline.body));

    // Every record names the model and its net; curation compared cosine distances under its threshold.
    const records: Record<string, unknown>[] = [];
    for await (const object of stack.runtime.store.list(`${storageKeys.datasetPrefix(datasetId)}records/`))
      records.push(JSON.parse((await stack.runtime.store.get(object.key)).toString('utf8')));
    assert.equal(records.length, 32);
    const space = String(records[0]?.embeddingSpace);
    assert.match(space, /^onnx-tiny@[0-9a-f]{16}$/);
    for (const record of records) {
      assert.equal(record.engine, ENGINE);
      assert.equal(record.embeddingSpace, space);
      assert.equal((record.descriptor as number[]).length, 3);
    }
    const curation = JSON.parse(
      (await stack.runtime.store.get(storageKeys.curation(datasetId))).toString('utf8'),
    ) as { params: Record<string, unknown>; faces: Record<string, { status: string }> };
    assert.equal(curation.params.distance, 'cosine');
    assert.equal(curation.params.embeddingSpace, space);
    assert.equal(curation.params.wrongPersonDistance, 0.1);
    assert.equal(
      Object.values(curation.faces).filter((face) => face.status === 'kept').length,
      32,
      'shades of one hue are one person',
    );

    const modelId = String(pipeline.body.modelId);
    const model = await getJson(`${stack.baseUrl}/v1/models/${modelId}`);
    const card = model.body.card as Record<string, unknown>;
    assert.equal(card.engine, ENGINE);
    assert.equal(card.detector, ENGINE);
    assert.equal(card.embeddingSpace, space);

    // The trained head reads the ONNX model's embedding of a new photo.
    const query = new FormData();
    query.append('photo', new Blob([new Uint8Array(await shade(PEOPLE.Orange ?? [0, 0, 0], 0.85))]), 'q.png');
    const answer = await fetch(`${stack.baseUrl}/v1/models/${modelId}/identify?topK=2`, {
      method: 'POST',
      body: query,
    });
    const body = (await answer.json()) as { faces: IdentifiedFace[] };
    assert.equal(answer.status, 200, JSON.stringify(body));
    assert.equal(body.faces[0]?.matches[0]?.identity, 'Orange', JSON.stringify(body.faces[0]));
  });

  it('extracts with an SCRFD-layout model (its keypoints align the faces); curating again stays with it', async () => {
    const datasetId = String((await postJson(`${stack.baseUrl}/v1/datasets`, { name: 'switch' })).body.id);
    const form = new FormData();
    // Shades close enough for the SCRFD test model's Euclidean threshold (0.1 on colours in 0-1).
    for (const person of ['Red', 'Blue'])
      for (const [index, factor] of [1, 0.97, 0.94].entries())
        form.append(
          'file',
          new Blob([new Uint8Array(await shade(PEOPLE[person] ?? [0, 0, 0], factor))], { type: 'image/png' }),
          `${person}/${index}.png`,
        );
    await fetch(`${stack.baseUrl}/v1/datasets/${datasetId}/images`, { method: 'POST', body: form });
    assertProblem(
      await postJson(`${stack.baseUrl}/v1/datasets/${datasetId}/extract`, { engine: 'onnx-none' }),
      409,
      /no ONNX model "onnx-none"/,
    );
    const started = await postJson(`${stack.baseUrl}/v1/datasets/${datasetId}/extract`, {
      engine: 'onnx-scrfd',
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.engine, 'onnx-scrfd');
    const curate = await waitForJob(stack.baseUrl, 'curate', String(started.body.curateJobId), 120_000);
    assert.equal(curate.body.state, 'completed', String(curate.body.failedReason));
    assert.deepEqual((curate.body.result as Record<string, number>).kept, 6);
    const faces = await getJson(`${stack.baseUrl}/v1/datasets/${datasetId}/faces`);
    const first = (faces.body.faces as { faceId: string; identity: string }[])[0];
    const record = JSON.parse(
      (
        await stack.runtime.store.get(
          storageKeys.faceRecord(datasetId, first?.identity ?? '', first?.faceId ?? ''),
        )
      ).toString('utf8'),
    ) as { engine: string; landmarks: unknown[]; faceKey: string };
    assert.equal(record.engine, 'onnx-scrfd');
    assert.equal(record.landmarks.length, 5, "the detector's keypoints");
    const crop = await sharp(await stack.runtime.store.get(record.faceKey)).metadata();
    assert.equal(crop.width, 160, 'an aligned colour crop was stored');
    // Curating again without naming an engine stays with the one that described the faces.
    const again = await postJson(`${stack.baseUrl}/v1/datasets/${datasetId}/curate`, {});
    const recurated = await waitForJob(stack.baseUrl, 'curate', String(again.body.jobId), 60_000);
    assert.equal((recurated.body.result as Record<string, number>).kept, 6);
  });
});
