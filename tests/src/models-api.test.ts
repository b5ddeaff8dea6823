// Training through the API on real photos: upload 8 lfw-dev people, extract and curate, then
// POST /v1/models runs pairs then train; the card holds every metric.
import assert from 'node:assert/strict';
import { openAsBlob } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ModelCardSchema } from '@faceshot/core/contracts/model-card';
import { parseWithSchema } from '@faceshot/core/schema';
import { extractorStages } from '@faceshot/extractor/stages';
import { predictorStages } from '@faceshot/predictor/stages';
import { pairsStages, trainerStages } from '@faceshot/trainer/stages';
import { type ApiStack, postJson, startApiStack } from './support/api-stack.js';
import { identitiesOf, photosOf } from './support/datasets.js';
import { assertProblem, getJson, waitForJob } from './support/http.js';

describe('models through the API', () => {
  let stack: ApiStack;
  let datasetId: string;
  let people: string[];

  before(async () => {
    stack = await startApiStack(
      'models',
      { EXTRACT_THREADS: '2' },
      { extractor: extractorStages, pairs: pairsStages, trainer: trainerStages, predictor: predictorStages },
    );
    datasetId = String((await postJson(`${stack.baseUrl}/v1/datasets`, { name: 'people' })).body.id);
    people = identitiesOf('lfw-dev')
      .filter((identity) => photosOf('lfw-dev', identity).length >= 7)
      .slice(0, 8);
    const form = new FormData();
    for (const person of people) {
      for (const file of photosOf('lfw-dev', person).slice(0, 6))
        form.append('file', await openAsBlob(file), `${person}/${file.split('/').pop()}`);
    }
    const upload = await fetch(`${stack.baseUrl}/v1/datasets/${datasetId}/images`, {
      method: 'POST',
      body: form,
    });
    assert.equal(upload.status, 200);
    const extract = await postJson(`${stack.baseUrl}/v1/datasets/${datasetId}/extract`, {});
    const curate = await waitForJob(stack.baseUrl, 'curate', String(extract.body.curateJobId), 180_000);
    assert.equal(curate.body.state, 'completed');
  });
  after(async () => {
    await stack.stop();
  });

  it('trains a transfer model: pairs then train, status, card with every metric', async () => {
    const created = await postJson(`${stack.baseUrl}/v1/models`, {
      datasetId,
      architecture: 'transfer',
      hyperparameters: { epochs: 10, patience: 10 },
      pairsPerClass: 200,
      validationShare: 0.25,
      testShare: 0.25,
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const id = String(created.body.id);
    const train = await waitForJob(stack.baseUrl, 'train', String(created.body.trainJobId), 180_000);
    assert.equal(train.body.state, 'completed', String(train.body.failedReason));
    const model = await getJson(`${stack.baseUrl}/v1/models/${id}`);
    assert.equal(model.body.status, 'ready');
    const card = parseWithSchema(ModelCardSchema, model.body.card, 'card');
    assert.equal(card.backend, 'wasm');
    assert.equal(card.detector, 'blazeface', 'the detector that found the training faces (the default)');
    // Few people: protocol (a) is cross-validated over identities, and the card says how.
    assert.ok(card.protocols.unseenPeople.folds >= 2);
    for (const metric of ['testAuc', 'oneShotAllWay', 'testTarAtFar', 'heldOutTop1']) {
      assert.equal(typeof card.metrics[metric], 'number', metric);
    }
    // Null only where a figure cannot be measured (5-way with folds of 4 people).
    for (const protocol of Object.values(card.protocols))
      for (const metric of protocol.metrics)
        assert.equal(
          typeof metric.beatsBaseline,
          metric.trained.value === null ? 'object' : 'boolean',
          metric.label,
        );
    assert.ok(card.threshold > 0);
    assert.equal(card.thresholdRule.targetFar, 0.01);

    // Once trained, the dataset's people are enrolled (one reference photo each) and can be identified.
    const enrol = await waitForJob(stack.baseUrl, 'enrol', String(created.body.enrolJobId), 120_000);
    assert.equal(enrol.body.state, 'completed', String(enrol.body.failedReason));
    const gallery = await getJson(`${stack.baseUrl}/v1/models/${id}/identities`);
    const enrolled = gallery.body.identities as { identity: string; photos: number }[];
    assert.deepEqual(
      enrolled.map((entry) => entry.identity),
      [...people].sort(),
    );
    assert.ok(enrolled.every((entry) => entry.photos === 1));
    const person = people[0] ?? '';
    const form = new FormData();
    form.append('photo', await openAsBlob(photosOf('lfw-dev', person)[6] ?? ''), 'unseen.jpg');
    const answer = await fetch(`${stack.baseUrl}/v1/models/${id}/identify?faces=primary&topK=3`, {
      method: 'POST',
      body: form,
    });
    assert.equal(answer.status, 200);
    const faces = ((await answer.json()) as { faces: { matches: { identity: string }[] }[] }).faces;
    assert.equal(faces.length, 1);
    assert.ok(
      faces[0]?.matches.some((match) => match.identity === person),
      `${person} among ${JSON.stringify(faces[0]?.matches)}`,
    );
    assert.equal((await getJson(`${stack.baseUrl}/v1/models/${id}`)).body.galleryIdentities, 8);

    const list = await getJson(`${stack.baseUrl}/v1/models`);
    assert.ok((list.body.models as { id: string }[]).some((entry) => entry.id === id));
    const removed = await fetch(`${stack.baseUrl}/v1/models/${id}`, { method: 'DELETE' });
    assert.equal(removed.status, 200);
    assertProblem(await getJson(`${stack.baseUrl}/v1/models/${id}`), 404, /no model/);
    let left = 0;
    for await (const _ of stack.runtime.store.list(`models/${id}/`)) left++;
    for await (const _ of stack.runtime.store.list(`galleries/${id}/`)) left++;
    assert.equal(left, 0);
  });

  it('fails a model whose dataset has too few curated people, with the reason', async () => {
    const other = String((await postJson(`${stack.baseUrl}/v1/datasets`, { name: 'empty' })).body.id);
    assertProblem(await getJson(`${stack.baseUrl}/v1/models/model_none`), 404, /no model/);
    const created = await postJson(`${stack.baseUrl}/v1/models`, { datasetId: other, architecture: 'seed' });
    const train = await waitForJob(stack.baseUrl, 'train', String(created.body.trainJobId), 30_000);
    assert.equal(train.body.state, 'failed');
    const model = await getJson(`${stack.baseUrl}/v1/models/${created.body.id}`);
    assert.equal(model.body.status, 'failed');
    assert.match(String(model.body.failedReason), /no curation yet/);
    assertProblem(
      await postJson(`${stack.baseUrl}/v1/models`, { datasetId: 'ds_missing' }).then((r) => ({
        ...r,
        contentType: 'application/problem+json',
      })),
      404,
      /no dataset/,
    );
  });
});
