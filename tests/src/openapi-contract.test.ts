// Contract test: the main flows — datasets and photo uploads, downloads, jobs, extraction and
// curation requests, models, pipelines, galleries, identify and verify — driven with the generated
// client, every request and every answer checked against the committed OpenAPI document by Stoplight
// Prism's validator (support/openapi-validator.ts). One violation, either way, fails the test.
import assert from 'node:assert/strict';
import { openAsBlob } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createFaceshotClient,
  dataOf,
  type FaceshotClient,
  multipartBody,
} from '@faceshot/client/faceshot-client';
import { predictorStages } from '@faceshot/predictor/stages';
import sharp from 'sharp';
import { type ApiStack, startApiStack } from './support/api-stack.js';
import { identitiesOf, photosOf } from './support/datasets.js';
import { TEST_API_KEYS, TEST_KEYS } from './support/gateway.js';
import { type CheckedCall, validatingFetch } from './support/openapi-validator.js';

const file = async (photo: string, name = path.basename(photo)) => new File([await openAsBlob(photo)], name);

describe('the API keeps to its OpenAPI document (generated client, Prism validator)', () => {
  let stack: ApiStack;
  let api: FaceshotClient;
  const calls: CheckedCall[] = [];
  const people = identitiesOf('lfw-dev')
    .filter((identity) => photosOf('lfw-dev', identity).length >= 3)
    .slice(0, 2);
  const photo = (person: number, index: number) => photosOf('lfw-dev', people[person] ?? '')[index] ?? '';
  let datasetId = '';

  before(async () => {
    stack = await startApiStack(
      'contract',
      { API_AUTH: 'keys', API_KEYS: TEST_API_KEYS, PREDICT_THREADS: '1' },
      { predictor: predictorStages },
    );
    api = createFaceshotClient({
      baseUrl: stack.baseUrl,
      apiKey: TEST_KEYS.admin,
      fetch: await validatingFetch(calls),
    });
  });
  after(async () => {
    await stack?.stop();
  });

  it('health, metrics, the document and the web page', async () => {
    assert.equal(dataOf(await api.GET('/healthz'), 'healthz').status, 'ok');
    assert.equal(dataOf(await api.GET('/readyz'), 'readyz').status, 'ready');
    const metrics = await api.GET('/metrics', { parseAs: 'text' });
    assert.match(dataOf(metrics, 'metrics'), /faceshot_queue_depth/);
    const document = dataOf(await api.GET('/docs/json'), 'document');
    assert.equal((document as { openapi?: string }).openapi, '3.1.0');
    assert.match(dataOf(await api.GET('/', { parseAs: 'text' }), 'web page'), /<html/i);
  });

  it('datasets: create, find, upload photos (multipart), download requests, jobs, faces', async () => {
    const created = dataOf(await api.POST('/v1/datasets', { body: { name: 'contract' } }), 'create');
    datasetId = created.id;
    const taken = await api.POST('/v1/datasets', { body: { name: 'contract' } });
    assert.equal(taken.response.status, 409);
    assert.equal(taken.error?.status, 409);
    const found = dataOf(await api.GET('/v1/datasets', { params: { query: { name: 'contract' } } }), 'find');
    assert.deepEqual(
      found.datasets.map((dataset) => dataset.id),
      [datasetId],
    );
    dataOf(await api.GET('/v1/datasets'), 'list');

    // Each part named "<identity>/<file>"; then the same bytes again, announced by an identity field.
    const files = [
      await file(photo(0, 0), `${people[0]}/a.jpg`),
      await file(photo(0, 1), `${people[0]}/b.jpg`),
      await file(photo(1, 0), `${people[1]}/a.jpg`),
    ];
    const upload = dataOf(
      await api.POST('/v1/datasets/{id}/images', {
        params: { path: { id: datasetId } },
        body: { file: files },
        bodySerializer: multipartBody,
      }),
      'upload',
    );
    assert.deepEqual(upload.counts, { stored: 3, duplicate: 0, rejected: 0 });
    const again = dataOf(
      await api.POST('/v1/datasets/{id}/images', {
        params: { path: { id: datasetId } },
        body: { identity: people[1] ?? '', file: [await file(photo(1, 0))] },
        bodySerializer: multipartBody,
      }),
      'upload again',
    );
    assert.equal(again.files[0]?.outcome, 'duplicate');
    const detail = dataOf(await api.GET('/v1/datasets/{id}', { params: { path: { id: datasetId } } }), 'get');
    assert.equal(detail.totals.raw, 3);

    const downloads = dataOf(
      await api.POST('/v1/datasets/{id}/downloads', {
        params: { path: { id: datasetId } },
        body: { items: [{ identity: 'someone', url: 'https://example.org/someone.jpg' }] },
      }),
      'downloads',
    );
    const jobId = downloads.jobs[0]?.jobId ?? '';
    const job = dataOf(
      await api.GET('/v1/jobs/{queue}/{id}', { params: { path: { queue: 'download', id: jobId } } }),
      'job',
    );
    assert.equal(job.id, jobId);
    const missing = await api.GET('/v1/jobs/{queue}/{id}', {
      params: { path: { queue: 'download', id: 'nope' } },
    });
    assert.equal(missing.response.status, 404);

    const extract = dataOf(
      await api.POST('/v1/datasets/{id}/extract', { params: { path: { id: datasetId } }, body: {} }),
      'extract',
    );
    assert.equal(extract.extractJobIds.length, 3);
    dataOf(
      await api.POST('/v1/datasets/{id}/curate', {
        params: { path: { id: datasetId } },
        body: { keepPerIdentity: 5 },
      }),
      'curate',
    );
    const faces = dataOf(
      await api.GET('/v1/datasets/{id}/faces', {
        params: { path: { id: datasetId }, query: { status: 'kept' } },
      }),
      'faces',
    );
    assert.ok(Array.isArray(faces.faces));
    const noFace = await api.PATCH('/v1/datasets/{id}/faces/{faceId}', {
      params: { path: { id: datasetId, faceId: 'f'.repeat(64) } },
      body: { status: 'kept' },
    });
    assert.equal(noFace.response.status, 404);
  });

  it('models and pipelines: train, read, cancel, delete', async () => {
    const model = dataOf(
      await api.POST('/v1/models', { body: { datasetId, architecture: 'transfer', autoEnrol: false } }),
      'train',
    );
    dataOf(await api.GET('/v1/models'), 'models');
    assert.equal(
      dataOf(await api.GET('/v1/models/{id}', { params: { path: { id: model.id } } }), 'model').id,
      model.id,
    );
    const unknown = await api.GET('/v1/models/{id}', { params: { path: { id: 'model_nope' } } });
    assert.equal(unknown.response.status, 404);

    const pipeline = dataOf(
      await api.POST('/v1/pipelines', { body: { datasetId, options: { keepPerIdentity: 5 } } }),
      'pipeline',
    );
    dataOf(await api.GET('/v1/pipelines'), 'pipelines');
    dataOf(await api.GET('/v1/pipelines/{id}', { params: { path: { id: pipeline.id } } }), 'pipeline');
    const cancelled = dataOf(
      await api.DELETE('/v1/pipelines/{id}', { params: { path: { id: pipeline.id } } }),
      'cancel',
    );
    assert.equal(cancelled.state, 'cancelled');
    const deleted = await api.DELETE('/v1/models/{id}', { params: { path: { id: model.id } } });
    assert.ok([200, 409].includes(deleted.response.status), String(deleted.response.status));
  });

  it('galleries and predictions: enrol (multipart), identify, verify, rename, delete', async () => {
    const model = { id: 'faceapi-baseline' };
    for (const [index, person] of people.entries()) {
      const enrolled = dataOf(
        await api.POST('/v1/models/{id}/identities', {
          params: { path: model },
          body: { identity: person, photo: [await file(photo(index, 0))] },
          bodySerializer: multipartBody,
        }),
        `enrol ${person}`,
      );
      assert.equal(enrolled.enrolled, 1);
    }
    const gallery = dataOf(
      await api.GET('/v1/models/{id}/identities', { params: { path: model } }),
      'gallery',
    );
    assert.equal(gallery.identities.length, people.length);
    const first = people[0] ?? '';
    const entry = dataOf(
      await api.GET('/v1/models/{id}/identities/{identity}', {
        params: { path: { ...model, identity: first } },
      }),
      'identity',
    );
    assert.equal(entry.photoList.length, 1);
    const crop = await api.GET('/v1/models/{id}/identities/{identity}/photos/{index}', {
      params: { path: { ...model, identity: first, index: 0 } },
      parseAs: 'blob',
    });
    assert.equal(crop.response.headers.get('content-type'), 'image/png');

    const identified = dataOf(
      await api.POST('/v1/models/{id}/identify', {
        params: { path: model, query: { topK: 2, faces: 'primary' } },
        body: { photo: await file(photo(0, 2)) },
        bodySerializer: multipartBody,
      }),
      'identify',
    );
    assert.equal(identified.faces[0]?.identity, first);
    const verified = dataOf(
      await api.POST('/v1/models/{id}/verify', {
        params: { path: model },
        body: { a: await file(photo(1, 1)), b: await file(photo(1, 2)) },
        bodySerializer: multipartBody,
      }),
      'verify',
    );
    assert.equal(verified.same, true);
    // A photo without a face: 422, documented.
    const blank = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    const faceless = await api.POST('/v1/models/{id}/identify', {
      params: { path: model },
      body: { photo: new File([new Uint8Array(blank)], 'blank.png', { type: 'image/png' }) },
      bodySerializer: multipartBody,
    });
    assert.equal(faceless.response.status, 422);

    const renamed = dataOf(
      await api.PATCH('/v1/models/{id}/identities/{identity}', {
        params: { path: { ...model, identity: first } },
        body: { identity: `${first} renamed` },
      }),
      'rename',
    );
    assert.equal(renamed.identity, `${first} renamed`);
    for (const identity of [`${first} renamed`, people[1] ?? '']) {
      dataOf(
        await api.DELETE('/v1/models/{id}/identities/{identity}', {
          params: { path: { ...model, identity } },
        }),
        `delete ${identity}`,
      );
    }
    const enrolJob = dataOf(
      await api.POST('/v1/models/{id}/identities/from-dataset', {
        params: { path: model },
        body: { datasetId },
      }),
      'enrol from dataset',
    );
    assert.equal(enrolJob.queue, 'enrol');
  });

  it('deletes a person of a dataset, then the dataset', async () => {
    dataOf(
      await api.DELETE('/v1/datasets/{id}/identities/{identity}', {
        params: { path: { id: datasetId, identity: people[0] ?? '' } },
      }),
      'delete identity',
    );
    dataOf(await api.DELETE('/v1/datasets/{id}', { params: { path: { id: datasetId } } }), 'delete dataset');
    const gone = await api.GET('/v1/datasets/{id}', { params: { path: { id: datasetId } } });
    assert.equal(gone.response.status, 404);
  });

  it('the validator itself catches a request and an answer that break the document', async () => {
    const seen: CheckedCall[] = [];
    const answers: Response[] = [
      new Response(JSON.stringify({ id: 7 }), {
        status: 201,
        headers: { 'content-type': 'application/json' },
      }),
      new Response('teapot', { status: 418, headers: { 'content-type': 'text/plain' } }),
    ];
    const check = await validatingFetch(
      seen,
      async () => answers.shift() ?? new Response(null, { status: 500 }),
    );
    const create = (body: unknown) =>
      new Request(`${stack.baseUrl}/v1/datasets`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
        body: JSON.stringify(body),
      });
    await check(create({ name: 5 }));
    await check(create({ name: 'fine' }));
    // A multipart identify without its photo part.
    const form = new FormData();
    form.append('note', 'no photo here');
    await check(
      new Request(`${stack.baseUrl}/v1/models/faceapi-baseline/identify`, {
        method: 'POST',
        headers: { authorization: 'Bearer x' },
        body: form,
      }),
    );
    assert.match(seen[0]?.violations.join('\n') ?? '', /request .*name/);
    assert.match(seen[0]?.violations.join('\n') ?? '', /response/);
    assert.match(seen[1]?.violations.join('\n') ?? '', /response/);
    assert.match(seen[2]?.violations.join('\n') ?? '', /request .*photo/);
  });

  it('saw no request or response that breaks the document', (t) => {
    const violations = calls.filter((call) => call.violations.length > 0);
    const operations = new Set(calls.map((call) => call.operationId));
    t.diagnostic(
      `${calls.length} calls, ${operations.size} operations, ${violations.length} with violations (Prism validator)`,
    );
    assert.deepEqual(
      violations.map((call) => `${call.method} ${call.path} → ${call.status}: ${call.violations.join('; ')}`),
      [],
    );
    assert.ok(calls.length >= 40, `only ${calls.length} calls`);
    assert.ok(operations.size >= 30, `only ${operations.size} operations`);
  });
});
