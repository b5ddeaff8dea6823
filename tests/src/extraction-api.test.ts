// Extraction and curation through the API, with the extractor role's worker threads, on real photos.
import assert from 'node:assert/strict';
import { openAsBlob } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { AnswerOf } from '@faceshot/client/faceshot-client';
import { extractorStages } from '@faceshot/extractor/stages';
import sharp from 'sharp';
import { type ApiStack, postJson, startApiStack } from './support/api-stack.js';
import { photosOf } from './support/datasets.js';
import { assertProblem, getJson, waitForJob } from './support/http.js';

/** One face as GET /v1/datasets/{id}/faces lists it (typed from the OpenAPI document). */
type Face = AnswerOf<'listFaces'>['faces'][number];

describe('extract and curate through the API', () => {
  let stack: ApiStack;
  let datasetId: string;

  before(async () => {
    stack = await startApiStack('extract', { EXTRACT_THREADS: '2' }, { extractor: extractorStages });
    datasetId = String((await postJson(`${stack.baseUrl}/v1/datasets`, { name: 'extract' })).body.id);
    const form = new FormData();
    for (const person of ['Abdullah_Gul', 'Adrien_Brody']) {
      for (const file of photosOf('lfw-dev', person).slice(0, 3)) {
        form.append('file', await openAsBlob(file), `${person}/${file.split('/').pop()}`);
      }
    }
    const gradient = Buffer.alloc(200 * 200 * 3);
    for (let index = 0; index < gradient.length; index++) gradient[index] = index % 200;
    const noFace = await sharp(gradient, { raw: { width: 200, height: 200, channels: 3 } })
      .png()
      .toBuffer();
    form.append('file', new Blob([noFace]), 'Abdullah_Gul/wall.png');
    const upload = await fetch(`${stack.baseUrl}/v1/datasets/${datasetId}/images`, {
      method: 'POST',
      body: form,
    });
    assert.deepEqual(((await upload.json()) as { counts: unknown }).counts, {
      stored: 7,
      duplicate: 0,
      rejected: 0,
    });
  });
  after(async () => {
    await stack.stop();
  });

  it('extracts every photo, then curates: faces, crops and statuses', async () => {
    const started = await postJson(`${stack.baseUrl}/v1/datasets/${datasetId}/extract`, {});
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal((started.body.extractJobIds as string[]).length, 7);
    const curate = await waitForJob(stack.baseUrl, 'curate', String(started.body.curateJobId), 120_000);
    assert.equal(curate.body.state, 'completed', String(curate.body.failedReason));
    assert.deepEqual(curate.body.result, { identities: 2, kept: 6, rejected: 1 });

    const detail = await getJson(`${stack.baseUrl}/v1/datasets/${datasetId}`);
    assert.deepEqual(detail.body.totals, { raw: 7, faces: 6, gray: 6 });

    const faces = (await getJson(`${stack.baseUrl}/v1/datasets/${datasetId}/faces`)).body.faces as Face[];
    assert.equal(faces.length, 7);
    const wall = faces.find((face) => face.outcome === 'no-face');
    assert.equal(wall?.status, 'rejected');
    assert.match(wall?.reason ?? '', /no face found/);
    const kept = (
      await getJson(`${stack.baseUrl}/v1/datasets/${datasetId}/faces?status=kept&identity=Adrien_Brody`)
    ).body.faces as Face[];
    assert.equal(kept.length, 3);
    const image = await fetch(`${stack.baseUrl}${kept[0]?.imageUrl}`);
    assert.equal(image.headers.get('content-type'), 'image/png');
    const meta = await sharp(Buffer.from(await image.arrayBuffer())).metadata();
    assert.deepEqual([meta.width, meta.height], [160, 160]);
    const gray = await sharp(
      Buffer.from(await (await fetch(`${stack.baseUrl}${kept[0]?.grayUrl}`)).arrayBuffer()),
    ).metadata();
    assert.deepEqual([gray.width, gray.height, gray.channels], [80, 80, 1]);
  });

  it('keeps a person’s override through re-curation', async () => {
    const kept = (await getJson(`${stack.baseUrl}/v1/datasets/${datasetId}/faces?status=kept`)).body
      .faces as Face[];
    const target = kept[0]?.faceId ?? '';
    const patch = await fetch(`${stack.baseUrl}/v1/datasets/${datasetId}/faces/${target}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'rejected' }),
    });
    assert.equal(patch.status, 200);
    assert.equal(((await patch.json()) as Face).status, 'rejected');
    const again = await postJson(`${stack.baseUrl}/v1/datasets/${datasetId}/curate`, {});
    await waitForJob(stack.baseUrl, 'curate', String(again.body.jobId), 60_000);
    const faces = (await getJson(`${stack.baseUrl}/v1/datasets/${datasetId}/faces`)).body.faces as Face[];
    const face = faces.find((candidate) => candidate.faceId === target);
    assert.equal(face?.status, 'rejected');
    assert.equal(face?.overridden, true);
    assert.equal(face?.reason, 'rejected by a person');
    const wall = faces.find((candidate) => candidate.outcome === 'no-face');
    const keepNoFace = await fetch(`${stack.baseUrl}/v1/datasets/${datasetId}/faces/${wall?.faceId}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'kept' }),
    });
    assert.equal(keepNoFace.status, 409);
  });

  it('answers unknown datasets and faces with problem+json 404', async () => {
    assertProblem(await getJson(`${stack.baseUrl}/v1/datasets/ds_none/faces`), 404, /no dataset/);
    assertProblem(
      await getJson(`${stack.baseUrl}/v1/datasets/${datasetId}/faces/${'0'.repeat(64)}/image`),
      404,
      /no extracted face/,
    );
  });
});
