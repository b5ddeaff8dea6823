// Operator-installed ONNX models through the API: listed only when their folder is valid, enrol,
// identify and verify with the model's own nets (a tiny model the test writes: its "embedding" is the
// face's mean colour, so the answers are known), and a gallery of another net refused with 409.
import assert from 'node:assert/strict';
import { openAsBlob } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { IdentifiedFace } from '@faceshot/client/faceshot-client';
import { extractorStages } from '@faceshot/extractor/stages';
import { predictorStages } from '@faceshot/predictor/stages';
import { writeTinyOnnxModel } from '@faceshot/vision/onnx/tiny-onnx-model';
import sharp from 'sharp';
import { type ApiStack, postJson, startApiStack } from './support/api-stack.js';
import { photosOf } from './support/datasets.js';
import { assertProblem, getJson, type JsonResponse, waitForJob } from './support/http.js';

const MODEL = 'onnx-tiny';

/** A photo of one colour: each of the tiny detector's faces has that mean colour. */
const colourPhoto = (rgb: [number, number, number]) =>
  sharp({ create: { width: 200, height: 160, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .png()
    .toBuffer();

async function send(
  url: string,
  photos: Buffer[],
  fields: Record<string, string> = {},
): Promise<JsonResponse> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  photos.forEach((bytes, index) => {
    form.append('photo', new Blob([new Uint8Array(bytes)], { type: 'image/png' }), `photo-${index}.png`);
  });
  const response = await fetch(url, { method: 'POST', body: form });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe('ONNX models through the API (a generated model, no third-party weights)', () => {
  let stack: ApiStack;
  let modelsDir: string;

  before(async () => {
    modelsDir = await mkdtemp(path.join(tmpdir(), 'faceshot-onnx-models-'));
    await writeTinyOnnxModel(modelsDir, 'tiny', 'cosine');
    // A folder whose manifest is broken: not listed, and named in a 409.
    await mkdir(path.join(modelsDir, 'broken'));
    await writeFile(path.join(modelsDir, 'broken', 'manifest.json'), '{"distance": "manhattan"}');
    stack = await startApiStack(
      'onnx-models',
      { PREDICT_THREADS: '1', EXTRACT_THREADS: '1', ONNX_MODELS_DIR: modelsDir },
      { predictor: predictorStages, extractor: extractorStages },
    );
  });
  after(async () => {
    await stack?.stop();
    await rm(modelsDir, { recursive: true, force: true });
  });

  it('lists a valid model folder as a built-in model with its card, and nothing else', async () => {
    const list = await getJson(`${stack.baseUrl}/v1/models`);
    const ids = (list.body.models as { id: string }[]).map((model) => model.id);
    assert.deepEqual(ids.slice(0, 2), ['faceapi-baseline', MODEL]);
    assert.ok(!ids.includes('onnx-broken'));
    const model = await getJson(`${stack.baseUrl}/v1/models/${MODEL}`);
    assert.equal(model.status, 200);
    assert.equal(model.body.architecture, 'onnx');
    assert.equal(model.body.status, 'ready');
    const card = model.body.card as Record<string, unknown>;
    assert.equal(card.engine, MODEL);
    assert.equal(card.distance, 'cosine');
    assert.equal(card.embeddingSize, 3);
    assert.equal(card.threshold, 0.1);
    assert.match(String(card.licence), /faceshot tests/);
    const baseline = await getJson(`${stack.baseUrl}/v1/models/faceapi-baseline`);
    assert.equal((baseline.body.card as Record<string, unknown>).engine, 'faceapi');
    assertProblem(await getJson(`${stack.baseUrl}/v1/models/onnx-absent`), 404, /no model "onnx-absent"/);
    assertProblem(await getJson(`${stack.baseUrl}/v1/models/onnx-broken`), 409, /distance|manifest/);
    const deleted = await fetch(`${stack.baseUrl}/v1/models/${MODEL}`, { method: 'DELETE' });
    assert.equal(deleted.status, 409);
  });

  it('enrols from one photo, identifies and verifies with the model and its cosine threshold', async () => {
    const red = await colourPhoto([200, 40, 40]);
    const blue = await colourPhoto([40, 60, 210]);
    for (const [identity, photo] of [
      ['Red', red],
      ['Blue', blue],
    ] as const) {
      const enrolled = await send(`${stack.baseUrl}/v1/models/${MODEL}/identities`, [photo], { identity });
      assert.equal(enrolled.status, 201, JSON.stringify(enrolled.body));
      assert.equal(enrolled.body.enrolled, 1);
    }
    const gallery = await getJson(`${stack.baseUrl}/v1/models/${MODEL}/identities`);
    assert.match(String(gallery.body.embeddingSpace), /^onnx-tiny@[0-9a-f]{16}$/);
    const answer = await send(`${stack.baseUrl}/v1/models/${MODEL}/identify?topK=2&faces=all`, [
      await colourPhoto([205, 35, 45]),
    ]);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.threshold, 0.1);
    const faces = answer.body.faces as IdentifiedFace[];
    assert.equal(faces.length, 2, 'the tiny detector gives two faces');
    for (const face of faces) {
      assert.equal(face.identity, 'Red');
      // Cosine distance (1 − cos) of the mean colours, not the Euclidean distance of unit vectors.
      assert.ok((face.distance ?? 1) < 0.01, String(face.distance));
      const blueMatch = face.matches.find((match) => match.identity === 'Blue');
      assert.ok(blueMatch && blueMatch.distance > 0.3 && blueMatch.distance < 1, JSON.stringify(blueMatch));
    }
    const same = await send(`${stack.baseUrl}/v1/models/${MODEL}/verify`, [
      red,
      await colourPhoto([190, 45, 40]),
    ]);
    assert.equal(same.status, 200, JSON.stringify(same.body));
    assert.equal(same.body.same, true);
    const different = await send(`${stack.baseUrl}/v1/models/${MODEL}/verify`, [red, blue]);
    assert.equal(different.body.same, false);
    assert.ok(Number(different.body.distance) > 0.3);
  });

  it('refuses to mix embeddings when the gallery was filled by another net (409)', async () => {
    // What a predictor finds after the model's files were replaced under the same name.
    const key = `${stack.redis.prefix}:meta:gallery-embeddings:${MODEL}`;
    await stack.runtime.producerRedis.set(key, `${MODEL}@0123456789abcdef`);
    // As any write to the gallery does, so predictors read it again.
    await stack.runtime.producerRedis.incr(`${stack.redis.prefix}:meta:gallery-version:${MODEL}`);
    const identify = await send(`${stack.baseUrl}/v1/models/${MODEL}/identify`, [
      await colourPhoto([200, 40, 40]),
    ]);
    assertProblem(
      identify,
      409,
      /holds embeddings of onnx-tiny@0123456789abcdef, but the model now makes onnx-tiny@/,
    );
    const enrol = await send(
      `${stack.baseUrl}/v1/models/${MODEL}/identities`,
      [await colourPhoto([10, 200, 10])],
      {
        identity: 'Green',
      },
    );
    assertProblem(enrol, 409, /embeddings of different nets cannot be compared/);
  });

  it("refuses to enrol a dataset's face-api descriptors into an ONNX model; the baseline takes them", async () => {
    const dataset = String((await postJson(`${stack.baseUrl}/v1/datasets`, { name: 'onnx-enrol' })).body.id);
    const form = new FormData();
    for (const person of ['Abdullah_Gul', 'Adrien_Brody'])
      for (const file of photosOf('lfw-dev', person).slice(0, 2))
        form.append('file', await openAsBlob(file), `${person}/${file.split('/').pop()}`);
    const upload = await fetch(`${stack.baseUrl}/v1/datasets/${dataset}/images`, {
      method: 'POST',
      body: form,
    });
    assert.equal(upload.status, 200);
    const started = await postJson(`${stack.baseUrl}/v1/datasets/${dataset}/extract`, {});
    const curate = await waitForJob(stack.baseUrl, 'curate', String(started.body.curateJobId), 180_000);
    assert.equal(curate.body.state, 'completed', String(curate.body.failedReason));

    const enrol = (model: string) =>
      postJson(`${stack.baseUrl}/v1/models/${model}/identities/from-dataset`, {
        datasetId: dataset,
        photosPerIdentity: 1,
      });
    const refused = await enrol(MODEL);
    assert.equal(refused.status, 202);
    const failed = await waitForJob(stack.baseUrl, 'enrol', String(refused.body.jobId), 60_000);
    assert.equal(failed.body.state, 'failed');
    assert.match(
      String(failed.body.failedReason),
      /dataset ".+" was described by faceapi, model "onnx-tiny" embeds with onnx-tiny/,
    );
    const accepted = await enrol('faceapi-baseline');
    const done = await waitForJob(stack.baseUrl, 'enrol', String(accepted.body.jobId), 60_000);
    assert.equal(done.body.state, 'completed', String(done.body.failedReason));
    const gallery = await getJson(`${stack.baseUrl}/v1/models/faceapi-baseline/identities`);
    assert.equal(gallery.body.embeddingSpace, 'faceapi-128');
    assert.equal((gallery.body.identities as unknown[]).length, 2);
  });
});
