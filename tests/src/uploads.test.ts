// Dataset routes and multipart uploads over real HTTP, with real photos from ../shared/datasets.
import assert from 'node:assert/strict';
import { openAsBlob } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { UploadFileResult } from '@faceshot/client/faceshot-client';
import sharp from 'sharp';
import { type ApiStack, postJson, startApiStack } from './support/api-stack.js';
import { photosOf } from './support/datasets.js';
import { assertProblem, getJson, type JsonResponse } from './support/http.js';

type FileResult = UploadFileResult;

async function upload(baseUrl: string, datasetId: string, form: FormData): Promise<JsonResponse> {
  const response = await fetch(`${baseUrl}/v1/datasets/${datasetId}/images`, { method: 'POST', body: form });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: (await response.json()) as Record<string, unknown>,
  };
}

async function countObjects(stack: ApiStack, prefix: string): Promise<number> {
  let count = 0;
  for await (const _ of stack.runtime.store.list(prefix)) count++;
  return count;
}

describe('datasets and uploads', () => {
  let stack: ApiStack;
  let datasetId: string;
  const alice = photosOf('lfw-dev', 'Abdullah_Gul');
  const orl = photosOf('orl-att-faces', 's1');

  before(async () => {
    stack = await startApiStack('uploads', { IMAGE_MAX_BYTES: String(200 * 1024), UPLOAD_MAX_FILES: '20' });
    const created = await postJson(`${stack.baseUrl}/v1/datasets`, { name: 'people' });
    assert.equal(created.status, 201);
    datasetId = String(created.body.id);
  });
  after(async () => {
    await stack.stop();
  });

  it('creates, names uniquely, lists and finds datasets', async () => {
    const taken = await postJson(`${stack.baseUrl}/v1/datasets`, { name: 'people' });
    assertProblem(
      { ...taken, contentType: 'application/problem+json' },
      409,
      /a dataset named "people" exists/,
    );
    assert.equal(taken.body.datasetId, datasetId);
    assert.equal((await postJson(`${stack.baseUrl}/v1/datasets`, { name: '' })).status, 400);
    const all = await getJson(`${stack.baseUrl}/v1/datasets`);
    assert.ok((all.body.datasets as { id: string }[]).some((dataset) => dataset.id === datasetId));
    const byName = await getJson(`${stack.baseUrl}/v1/datasets?name=people`);
    assert.deepEqual(
      (byName.body.datasets as { id: string }[]).map((dataset) => dataset.id),
      [datasetId],
    );
    assertProblem(await getJson(`${stack.baseUrl}/v1/datasets/ds_missing`), 404, /no dataset "ds_missing"/);
  });

  it('stores photos named by path or by identity field, and reports each file', async () => {
    const form = new FormData();
    form.append('file', await openAsBlob(alice[0] ?? ''), 'Abdullah Gul/one.jpg');
    form.append('file', await openAsBlob(alice[1] ?? ''), 'Abdullah Gul/two.jpg');
    form.append('identity', 'ORL s1');
    form.append('file', await openAsBlob(orl[0] ?? ''), '1.pgm');
    form.append('file', await openAsBlob(alice[0] ?? ''), 'Someone Else/same-bytes.jpg');
    form.append('file', new Blob(['just text']), 'Abdullah Gul/notes.txt');
    form.append('file', new Blob([Buffer.alloc(300 * 1024, 1)]), 'Abdullah Gul/huge.jpg');
    const tiny = await sharp({ create: { width: 1, height: 1, channels: 3, background: 'white' } })
      .png()
      .toBuffer();
    form.append('file', new Blob([tiny]), 'Abdullah Gul/tiny.png');
    form.append('file', new Blob(['<svg xmlns="http://www.w3.org/2000/svg"/>']), '../evil/x.svg');
    const response = await upload(stack.baseUrl, datasetId, form);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const files = response.body.files as FileResult[];
    const byName = new Map(files.map((file) => [file.filename, file]));
    assert.equal(byName.get('one.jpg')?.outcome, 'stored');
    assert.match(
      byName.get('one.jpg')?.key ?? '',
      new RegExp(`^datasets/${datasetId}/raw/Abdullah Gul/[0-9a-f]{64}\\.jpg$`),
    );
    assert.equal(byName.get('two.jpg')?.outcome, 'stored');
    assert.equal(byName.get('1.pgm')?.outcome, 'stored');
    assert.equal(byName.get('1.pgm')?.identity, 'ORL s1');
    assert.equal(byName.get('same-bytes.jpg')?.outcome, 'duplicate');
    assert.equal(byName.get('same-bytes.jpg')?.duplicateOf, 'Abdullah Gul');
    assert.match(byName.get('notes.txt')?.reason ?? '', /not an image format we read/);
    assert.match(byName.get('huge.jpg')?.reason ?? '', /larger than 204800 bytes/);
    // 1x1 is an image; whether it holds a face is the extractor's question.
    assert.equal(byName.get('tiny.png')?.outcome, 'stored');
    assert.equal(byName.get('x.svg')?.identity, 'evil');
    assert.match(byName.get('x.svg')?.reason ?? '', /SVG/);
    assert.deepEqual(response.body.counts, { stored: 4, duplicate: 1, rejected: 3 });
    assert.equal(await countObjects(stack, `datasets/${datasetId}/raw/Someone Else/`), 0);
    const detail = await getJson(`${stack.baseUrl}/v1/datasets/${datasetId}`);
    assert.deepEqual(detail.body.identities, [
      { identity: 'Abdullah Gul', raw: 3, faces: 0, gray: 0 },
      { identity: 'ORL s1', raw: 1, faces: 0, gray: 0 },
    ]);
  });

  it('rejects files without an identity or with an unsafe one, and non-multipart bodies', async () => {
    const form = new FormData();
    form.append('file', await openAsBlob(alice[2] ?? ''), 'loose.jpg');
    form.append('file', await openAsBlob(alice[2] ?? ''), '.hidden/photo.jpg');
    const response = await upload(stack.baseUrl, datasetId, form);
    const files = response.body.files as FileResult[];
    assert.match(files[0]?.reason ?? '', /no identity/);
    assert.match(files[1]?.reason ?? '', /starting with "\."/);
    const json = await postJson(`${stack.baseUrl}/v1/datasets/${datasetId}/images`, { file: 'x' });
    assertProblem({ ...json, contentType: 'application/problem+json' }, 415, /multipart/);
    const empty = new FormData();
    empty.append('identity', 'nobody');
    assertProblem(await upload(stack.baseUrl, datasetId, empty), 400, /no file parts/);
    const nowhere = new FormData();
    nowhere.append('file', await openAsBlob(alice[2] ?? ''), 'x/y.jpg');
    assertProblem(await upload(stack.baseUrl, 'ds_nowhere', nowhere), 404, /no dataset/);
  });

  it('refuses more files than UPLOAD_MAX_FILES in one request', async () => {
    const form = new FormData();
    for (let index = 0; index < 21; index++) form.append('file', new Blob(['x']), `many/${index}.jpg`);
    const response = await upload(stack.baseUrl, datasetId, form);
    assert.equal(response.status, 413, JSON.stringify(response.body));
    assert.match(response.contentType, /problem\+json/);
  });

  it('deletes one identity with everything derived from it', async () => {
    await stack.runtime.store.put(
      `datasets/${datasetId}/gray/Abdullah Gul/${'a'.repeat(64)}.png`,
      Buffer.from('x'),
    );
    const response = await fetch(`${stack.baseUrl}/v1/datasets/${datasetId}/identities/Abdullah%20Gul`, {
      method: 'DELETE',
    });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { identity: 'Abdullah Gul', deletedObjects: 4 });
    assert.equal(await countObjects(stack, `datasets/${datasetId}/raw/Abdullah Gul/`), 0);
    assert.equal(await countObjects(stack, `datasets/${datasetId}/gray/Abdullah Gul/`), 0);
    const again = await fetch(`${stack.baseUrl}/v1/datasets/${datasetId}/identities/Abdullah%20Gul`, {
      method: 'DELETE',
    });
    assert.equal(again.status, 404);
    // The same photo can be uploaded again now (the manifest forgot it).
    const form = new FormData();
    form.append('file', await openAsBlob(alice[0] ?? ''), 'Abdullah Gul/back.jpg');
    assert.equal(
      ((await upload(stack.baseUrl, datasetId, form)).body.files as FileResult[])[0]?.outcome,
      'stored',
    );
  });

  it('loses no manifest entry when many uploads run at once, and stores a photo sent twice at once once', async () => {
    const photos = photosOf('lfw-dev', 'Adrien_Brody').slice(0, 10);
    const before = (await stack.runtime.datasets.images(datasetId)).length;
    const responses = await Promise.all(
      [...photos, photos[0] ?? ''].map(async (file, index) => {
        const form = new FormData();
        form.append('file', await openAsBlob(file), `Adrien Brody/${index}.jpg`);
        return upload(stack.baseUrl, datasetId, form);
      }),
    );
    const outcomes = responses.map((response) => (response.body.files as FileResult[])[0]?.outcome);
    assert.equal(outcomes.filter((outcome) => outcome === 'stored').length, 10);
    assert.equal(outcomes.filter((outcome) => outcome === 'duplicate').length, 1);
    assert.equal((await stack.runtime.datasets.images(datasetId)).length, before + 10);
    assert.equal(await countObjects(stack, `datasets/${datasetId}/raw/Adrien Brody/`), 10);
  });

  it('deletes a whole dataset', async () => {
    const response = await fetch(`${stack.baseUrl}/v1/datasets/${datasetId}`, { method: 'DELETE' });
    assert.equal(response.status, 200);
    assert.equal(await countObjects(stack, `datasets/${datasetId}/`), 0);
    assertProblem(await getJson(`${stack.baseUrl}/v1/datasets/${datasetId}`), 404, /no dataset/);
    assert.equal(
      (await postJson(`${stack.baseUrl}/v1/datasets`, { name: 'people' })).status,
      201,
      'the name is free again',
    );
  });
});
