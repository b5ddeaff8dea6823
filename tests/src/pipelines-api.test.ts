// A whole pipeline from one request: downloads (one dead link among them), extraction of every photo,
// curation, pairs, training and enrolment as one flow, followed live over Server-Sent Events; then
// cancelling a pipeline that has not run.
import assert from 'node:assert/strict';
import { openAsBlob } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { PipelineStatus } from '@faceshot/client/faceshot-client';
import { downloaderStages } from '@faceshot/downloader/stages';
import { extractorStages } from '@faceshot/extractor/stages';
import { predictorStages } from '@faceshot/predictor/stages';
import { pairsStages, trainerStages } from '@faceshot/trainer/stages';
import { type ApiStack, postJson, startApiStack } from './support/api-stack.js';
import { identitiesOf, photosOf } from './support/datasets.js';
import { getJson } from './support/http.js';
import { type PhotoServer, startPhotoServer } from './support/photo-server.js';

interface StreamEvent {
  event: string;
  id: number;
  /** The pipeline's state, as GET /v1/pipelines/{id} answers it. */
  data: PipelineStatus;
}

/** Reads an SSE response to its end (or `timeoutMs`), parsing every event. */
async function readEvents(
  url: string,
  timeoutMs: number,
): Promise<{ contentType: string; events: StreamEvent[] }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  assert.equal(response.status, 200);
  const events: StreamEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body ?? []) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = Object.fromEntries(
        block
          .split('\n')
          .filter((line) => !line.startsWith(':'))
          .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
      );
      if (fields.event)
        events.push({ event: fields.event, id: Number(fields.id), data: JSON.parse(fields.data ?? '{}') });
    }
  }
  return { contentType: response.headers.get('content-type') ?? '', events };
}

const STAGES = ['download', 'extract', 'curate', 'pairs', 'train', 'enrol'];

describe('pipelines', () => {
  let stack: ApiStack;
  let photos: PhotoServer;
  const people = identitiesOf('lfw-dev')
    .filter((identity) => photosOf('lfw-dev', identity).length >= 4)
    .slice(10, 16);
  const downloaded = people[5] ?? '';

  before(async () => {
    photos = await startPhotoServer('127.0.0.2');
    stack = await startApiStack(
      'pipelines',
      {
        EXTRACT_THREADS: '2',
        PREDICT_THREADS: '1',
        DOWNLOAD_ALLOW_CIDRS: '127.0.0.2',
        EVENTS_INTERVAL_MS: '100',
      },
      {
        downloader: downloaderStages,
        extractor: extractorStages,
        pairs: pairsStages,
        trainer: trainerStages,
        predictor: predictorStages,
      },
    );
  });
  after(async () => {
    await stack.stop();
    await photos.close();
  });

  it('runs download → extract → curate → pairs → train → enrol, streaming progress in order', async () => {
    const datasetId = String((await postJson(`${stack.baseUrl}/v1/datasets`, { name: 'pipeline' })).body.id);
    const form = new FormData();
    for (const person of people.slice(0, 5)) {
      for (const file of photosOf('lfw-dev', person).slice(0, 4))
        form.append('file', await openAsBlob(file), `${person}/${file.split('/').pop()}`);
    }
    assert.equal(
      (await fetch(`${stack.baseUrl}/v1/datasets/${datasetId}/images`, { method: 'POST', body: form }))
        .status,
      200,
    );
    const items = [
      ...photosOf('lfw-dev', downloaded)
        .slice(0, 4)
        .map((file) => ({
          identity: downloaded,
          url: `${photos.origin}/photos/lfw-dev/${downloaded}/${file.split('/').pop()}`,
        })),
      { identity: downloaded, url: `${photos.origin}/photos/lfw-dev/${downloaded}/missing.jpg` },
    ];
    const created = await postJson(`${stack.baseUrl}/v1/pipelines`, {
      datasetId,
      options: {
        download: { items },
        hyperparameters: { epochs: 3 },
        pairsPerClass: 60,
        validationShare: 0.3,
        testShare: 0.3,
      },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const id = String(created.body.id);
    assert.deepEqual(
      (created.body.stages as { name: string }[]).map((stage) => stage.name),
      STAGES,
    );

    const { contentType, events } = await readEvents(`${stack.baseUrl}/v1/pipelines/${id}/events`, 300_000);
    assert.match(contentType, /^text\/event-stream/);
    assert.ok(events.length >= 3, `only ${events.length} events`);
    assert.deepEqual(
      events.map((event) => event.id),
      events.map((_, index) => index + 1),
      'event ids count up',
    );
    const last = events.at(-1) as StreamEvent;
    assert.equal(last.event, 'end');
    assert.equal(last.data.state, 'completed', JSON.stringify(last.data));
    // Each stage is first seen finished no earlier than the stage before it.
    const finishedAt = STAGES.map((name) =>
      events.findIndex((event) => {
        const stage = event.data.stages.find((entry) => entry.name === name);
        return stage?.state === 'completed';
      }),
    );
    for (let index = 1; index < finishedAt.length; index++) {
      assert.ok(
        (finishedAt[index] ?? -1) >= (finishedAt[index - 1] ?? 0),
        `stage order: ${finishedAt.join()}`,
      );
    }
    assert.ok(
      events.some((event) => event.data.stages.some((stage) => stage.state === 'active')),
      'some event shows a stage at work',
    );
    const final = last.data.stages;
    assert.deepEqual(final.find((stage) => stage.name === 'download')?.jobs, {
      total: 5,
      completed: 4,
      failed: 1,
    });
    const extract = final.find((stage) => stage.name === 'extract');
    assert.equal(extract?.jobs.total, 24, 'every uploaded and downloaded photo was extracted');

    const pipeline = await getJson(`${stack.baseUrl}/v1/pipelines/${id}`);
    const modelId = String(pipeline.body.modelId);
    const model = await getJson(`${stack.baseUrl}/v1/models/${modelId}`);
    assert.equal(model.body.status, 'ready');
    assert.equal(model.body.galleryIdentities, 6, 'the downloaded person was enrolled too');
    const list = await getJson(`${stack.baseUrl}/v1/pipelines`);
    assert.equal((list.body.pipelines as { id: string }[])[0]?.id, id);

    // A finished job's stream answers at once: its status, then the end.
    const train = (pipeline.body.stages as { name: string; jobIds: string[] }[]).find(
      (stage) => stage.name === 'train',
    );
    const jobStream = await readEvents(`${stack.baseUrl}/v1/jobs/train/${train?.jobIds[0]}/events`, 10_000);
    assert.deepEqual(
      jobStream.events.map((event) => event.event),
      ['progress', 'end'],
    );
    assert.equal(jobStream.events[1]?.data.state, 'completed');
  });
});

describe('cancelling a pipeline', () => {
  let stack: ApiStack;
  before(async () => {
    // No workers: nothing starts, so every job is still waiting when the pipeline is cancelled.
    stack = await startApiStack('pipeline-cancel', {});
  });
  after(async () => {
    await stack.stop();
  });

  it('removes the jobs that have not run and reports the pipeline cancelled', async () => {
    const datasetId = String((await postJson(`${stack.baseUrl}/v1/datasets`, { name: 'cancel' })).body.id);
    const created = await postJson(`${stack.baseUrl}/v1/pipelines`, {
      datasetId,
      options: { download: { items: [{ identity: 'A', url: 'http://example.invalid/a.jpg' }] } },
    });
    assert.equal(created.status, 202);
    const cancelled = await fetch(`${stack.baseUrl}/v1/pipelines/${created.body.id}`, { method: 'DELETE' });
    const body = (await cancelled.json()) as { state: string; stages: { state: string }[] };
    assert.equal(body.state, 'cancelled');
    assert.ok(
      body.stages.every((stage) => stage.state === 'cancelled'),
      JSON.stringify(body.stages),
    );
    for (const queue of ['download', 'curate', 'pairs', 'train', 'enrol'] as const) {
      assert.equal(await stack.runtime.queues.queue(queue).count(), 0, `${queue} has no job left`);
    }
    const events = await readEvents(`${stack.baseUrl}/v1/pipelines/${created.body.id}/events`, 5_000);
    assert.equal(events.events.at(-1)?.event, 'end');
    assert.equal(events.events.at(-1)?.data.state, 'cancelled');
    const missing = await postJson(`${stack.baseUrl}/v1/pipelines`, { datasetId: 'ds_nope' });
    assert.equal(missing.status, 404);
    const empty = await postJson(`${stack.baseUrl}/v1/pipelines`, { datasetId });
    assert.equal(empty.status, 409, 'no photos and no downloads');
  });
});
