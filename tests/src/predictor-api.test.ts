// One-shot recognition through the API with the built-in faceapi-baseline model: enrol people from one
// photo each, identify other photos of them, verify pairs, manage the gallery, and every bad input.
import assert from 'node:assert/strict';
import { openAsBlob } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { IdentifiedFace } from '@faceshot/client/faceshot-client';
import { predictorStages } from '@faceshot/predictor/stages';
import sharp from 'sharp';
import { type ApiStack, startApiStack } from './support/api-stack.js';
import { identitiesOf, photosOf } from './support/datasets.js';
import { assertProblem, getJson, type JsonResponse } from './support/http.js';

const MODEL = 'faceapi-baseline';

async function send(
  url: string,
  method: string,
  files: (Blob | [Blob, string])[],
  fields: Record<string, string> = {},
) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  files.forEach((file, index) => {
    if (Array.isArray(file)) form.append('photo', file[0], file[1]);
    else form.append('photo', file, `photo-${index}.jpg`);
  });
  const response = await fetch(url, { method, body: form });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: (await response.json()) as Record<string, unknown>,
  } satisfies JsonResponse;
}

const photo = (file: string) => openAsBlob(file);

describe('identify, verify and galleries through the API (faceapi-baseline)', () => {
  let stack: ApiStack;
  // Three people with enough photos: enrol photo 0, query photo 1.
  const people = identitiesOf('lfw-dev')
    .filter((identity) => photosOf('lfw-dev', identity).length >= 3)
    .slice(0, 3);
  const stranger = identitiesOf('lfw-dev').filter((identity) => !people.includes(identity))[5] ?? '';

  before(async () => {
    stack = await startApiStack(
      'predictor',
      { PREDICT_THREADS: '2', IMAGE_MAX_BYTES: '300000', IMAGE_MAX_PIXELS: '4000000' },
      { predictor: predictorStages },
    );
  });
  after(async () => {
    await stack.stop();
  });

  it('enrols each person from one photo and identifies other photos of them', async () => {
    for (const person of people) {
      const enrolled = await send(
        `${stack.baseUrl}/v1/models/${MODEL}/identities`,
        'POST',
        [await photo(photosOf('lfw-dev', person)[0] ?? '')],
        { identity: person },
      );
      assert.equal(enrolled.status, 201, JSON.stringify(enrolled.body));
      assert.equal(enrolled.body.identity, person);
      assert.equal(enrolled.body.enrolled, 1);
      assert.equal(enrolled.body.photos, 1);
    }
    for (const person of people) {
      const answer = await send(`${stack.baseUrl}/v1/models/${MODEL}/identify?topK=3&faces=primary`, 'POST', [
        await photo(photosOf('lfw-dev', person)[1] ?? ''),
      ]);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.threshold, 0.6);
      assert.equal(answer.body.galleryIdentities, 3);
      const faces = answer.body.faces as IdentifiedFace[];
      assert.equal(faces.length, 1);
      const face = faces[0] as IdentifiedFace;
      assert.equal(face.identity, person, JSON.stringify(face));
      assert.equal(face.matches.length, 3);
      assert.deepEqual(
        face.matches.map((match) => match.distance),
        [...face.matches.map((match) => match.distance)].sort((a, b) => a - b),
      );
      for (const match of face.matches) assert.ok(match.score >= 0 && match.score <= 1);
      assert.ok(face.score > 0.5, 'a match within the threshold scores above 0.5');
    }
  });

  it('answers unknown for a person not enrolled, and honours a per-request threshold', async () => {
    const query = await photo(photosOf('lfw-dev', stranger)[0] ?? '');
    const answer = await send(`${stack.baseUrl}/v1/models/${MODEL}/identify?faces=primary`, 'POST', [query]);
    assert.equal(answer.status, 200);
    const face = (answer.body.faces as IdentifiedFace[])[0] as IdentifiedFace;
    assert.equal(face.identity, 'unknown', JSON.stringify(face));
    assert.ok((face.distance ?? 0) > 0.6);
    assert.ok(face.score < 0.5);
    // With a threshold above the nearest distance the same face is "recognised": the override is used.
    const loose = await send(
      `${stack.baseUrl}/v1/models/${MODEL}/identify?faces=primary&threshold=${(face.distance ?? 0) + 0.01}`,
      'POST',
      [query],
    );
    assert.equal(loose.body.threshold, (face.distance ?? 0) + 0.01);
    assert.notEqual(((loose.body.faces as IdentifiedFace[])[0] as IdentifiedFace).identity, 'unknown');
  });

  it('finds every face of a group photo, largest first', async () => {
    // Two people side by side: two lfw photos joined into one image.
    const [left, right] = [photosOf('lfw-dev', people[0] ?? '')[2], photosOf('lfw-dev', people[1] ?? '')[2]];
    const joined = await sharp({ create: { width: 500, height: 250, channels: 3, background: '#808080' } })
      .composite([
        { input: left ?? '', left: 0, top: 0 },
        {
          input: await sharp(right ?? '')
            .resize(200, 200)
            .toBuffer(),
          left: 280,
          top: 25,
        },
      ])
      .jpeg()
      .toBuffer();
    const answer = await send(`${stack.baseUrl}/v1/models/${MODEL}/identify?faces=all`, 'POST', [
      new Blob([joined], { type: 'image/jpeg' }),
    ]);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const faces = answer.body.faces as IdentifiedFace[];
    assert.ok(faces.length >= 2, `found ${faces.length} faces`);
    assert.ok((faces[0]?.box.width ?? 0) >= (faces[1]?.box.width ?? 0));
    const names = faces.map((face) => face.identity);
    assert.ok(names.includes(people[0] ?? ''), names.join());
    assert.ok(names.includes(people[1] ?? ''), names.join());
  });

  it('verifies two photos: same person or not, with distance and threshold', async () => {
    const [a, b] = photosOf('lfw-dev', people[0] ?? '');
    const same = await send(`${stack.baseUrl}/v1/models/${MODEL}/verify`, 'POST', [
      await photo(a ?? ''),
      await photo(b ?? ''),
    ]);
    assert.equal(same.status, 200, JSON.stringify(same.body));
    assert.equal(same.body.same, true);
    assert.equal(same.body.threshold, 0.6);
    assert.ok(Number(same.body.distance) < 0.6);
    assert.equal((same.body.boxes as unknown[]).length, 2);
    const different = await send(`${stack.baseUrl}/v1/models/${MODEL}/verify`, 'POST', [
      await photo(a ?? ''),
      await photo(photosOf('lfw-dev', stranger)[0] ?? ''),
    ]);
    assert.equal(different.body.same, false);
    assert.ok(Number(different.body.distance) > 0.6);
    assertProblem(
      await send(`${stack.baseUrl}/v1/models/${MODEL}/verify`, 'POST', [await photo(a ?? '')]),
      400,
      /send 2 photo/,
    );
  });

  it('lists, shows, renames and deletes identities (with their stored photos)', async () => {
    const person = people[2] ?? '';
    const list = await getJson(`${stack.baseUrl}/v1/models/${MODEL}/identities`);
    assert.deepEqual(
      (list.body.identities as { identity: string }[]).map((entry) => entry.identity),
      [...people].sort(),
    );
    // A second photo adds to the same identity; the same photo again is not added twice.
    const more = await send(
      `${stack.baseUrl}/v1/models/${MODEL}/identities`,
      'POST',
      [await photo(photosOf('lfw-dev', person)[0] ?? ''), await photo(photosOf('lfw-dev', person)[2] ?? '')],
      { identity: person },
    );
    assert.equal(more.status, 201, JSON.stringify(more.body));
    assert.equal(more.body.enrolled, 1);
    assert.equal(more.body.photos, 2);
    const detail = await getJson(
      `${stack.baseUrl}/v1/models/${MODEL}/identities/${encodeURIComponent(person)}`,
    );
    const photos = detail.body.photoList as { url: string }[];
    assert.equal(photos.length, 2);
    const png = await fetch(`${stack.baseUrl}${photos[0]?.url}`);
    assert.equal(png.headers.get('content-type'), 'image/png');
    assert.equal((await sharp(Buffer.from(await png.arrayBuffer())).metadata()).width, 160);

    const renamed = await fetch(
      `${stack.baseUrl}/v1/models/${MODEL}/identities/${encodeURIComponent(person)}`,
      {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ identity: 'Renamed Person' }),
      },
    );
    assert.equal(renamed.status, 200);
    const clash = await fetch(`${stack.baseUrl}/v1/models/${MODEL}/identities/Renamed%20Person`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identity: people[0] }),
    });
    assert.equal(clash.status, 409);
    const answer = await send(`${stack.baseUrl}/v1/models/${MODEL}/identify?faces=primary`, 'POST', [
      await photo(photosOf('lfw-dev', person)[1] ?? ''),
    ]);
    assert.equal((answer.body.faces as IdentifiedFace[])[0]?.identity, 'Renamed Person');

    const removed = await fetch(`${stack.baseUrl}/v1/models/${MODEL}/identities/Renamed%20Person`, {
      method: 'DELETE',
    });
    assert.deepEqual(await removed.json(), { identity: 'Renamed Person', deletedPhotos: 2 });
    assertProblem(
      await getJson(`${stack.baseUrl}/v1/models/${MODEL}/identities/Renamed%20Person`),
      404,
      /no identity/,
    );
    let stored = 0;
    for await (const _ of stack.runtime.store.list(`galleries/${MODEL}/`)) stored++;
    assert.equal(stored, 2, 'only the two remaining people keep a reference photo');
    let uploads = 0;
    for await (const _ of stack.runtime.store.list('uploads/')) uploads++;
    assert.equal(uploads, 0, 'uploads are deleted once answered');
    const after = await send(`${stack.baseUrl}/v1/models/${MODEL}/identify?faces=primary`, 'POST', [
      await photo(photosOf('lfw-dev', person)[1] ?? ''),
    ]);
    assert.equal((after.body.faces as IdentifiedFace[])[0]?.identity, 'unknown');
  });

  it('answers bad input with problem+json: 422, 415, 413, 404, 400', async () => {
    const url = `${stack.baseUrl}/v1/models/${MODEL}/identify`;
    const blank = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#7090b0' } })
      .png()
      .toBuffer();
    assertProblem(await send(url, 'POST', [new Blob([blank])]), 422, /no face/);
    assertProblem(await send(url, 'POST', [new Blob(['just some text, not a photo'])]), 415, /not an image/);
    const noise = await sharp(
      Buffer.from(Array.from({ length: 400 * 400 * 3 }, () => Math.floor(Math.random() * 256))),
      {
        raw: { width: 400, height: 400, channels: 3 },
      },
    )
      .png()
      .toBuffer();
    assertProblem(await send(url, 'POST', [new Blob([noise])]), 413, /larger than 300000 bytes/);
    const huge = await sharp({ create: { width: 2100, height: 2000, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    assertProblem(await send(url, 'POST', [new Blob([huge])]), 413, /IMAGE_MAX_PIXELS/);
    assertProblem(
      await send(`${stack.baseUrl}/v1/models/model_nope/identify`, 'POST', [new Blob([blank])]),
      404,
      /no model/,
    );
    const notMultipart = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(notMultipart.status, 415);
    assert.match(notMultipart.headers.get('content-type') ?? '', /problem\+json/);
    assertProblem(
      await send(`${stack.baseUrl}/v1/models/${MODEL}/identities`, 'POST', [new Blob([blank])], {
        identity: 'Nobody',
      }),
      422,
      /no face/,
    );
    assertProblem(
      await send(`${stack.baseUrl}/v1/models/${MODEL}/identities`, 'POST', [new Blob([blank])], {
        identity: '../x',
      }),
      400,
      /identity/,
    );
    assertProblem(await getJson(`${stack.baseUrl}/v1/models/${MODEL}/identities/Nobody`), 404, /no identity/);
  });
});

describe('synchronous endpoints without a predictor', () => {
  let stack: ApiStack;
  before(async () => {
    stack = await startApiStack('predict-timeout', { PREDICT_TIMEOUT_MS: '700' });
  });
  after(async () => {
    await stack.stop();
  });

  it('answers 504 after PREDICT_TIMEOUT_MS and withdraws the job and the upload', async () => {
    const answer = await send(`${stack.baseUrl}/v1/models/${MODEL}/identify`, 'POST', [
      await photo(photosOf('lfw-dev', identitiesOf('lfw-dev')[0] ?? '')[0] ?? ''),
    ]);
    assertProblem(answer, 504, /longer than 700 ms/);
    assert.equal(
      await stack.runtime.queues.queue('predict').getJob(String(answer.body.jobId)),
      undefined,
      'the job was removed',
    );
    assert.equal(await stack.runtime.queues.queue('predict').count(), 0);
    let uploads = 0;
    for await (const _ of stack.runtime.store.list('uploads/')) uploads++;
    assert.equal(uploads, 0);
  });
});
