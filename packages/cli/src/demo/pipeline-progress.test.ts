import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { PipelineStatus } from '@faceshot/client/faceshot-client';
import { pipelineEvents } from './pipeline-progress.js';

const status = (state: PipelineStatus['state']) =>
  ({
    id: 'pl_1',
    datasetId: 'ds_1',
    modelId: 'model_1',
    createdAt: '1970-01-01T00:00:00.000Z',
    state,
    stages: [],
  }) satisfies PipelineStatus;

async function* chunksOf(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let start = 0; start < bytes.length; start += size) yield bytes.slice(start, start + size);
}

async function collect(text: string, size: number) {
  const events: { event: string; state: string }[] = [];
  for await (const { event, status: read } of pipelineEvents(chunksOf(text, size)))
    events.push({ event, state: read.state });
  return events;
}

it('reads progress and end events split anywhere, with CRLF line ends and comments between', async () => {
  const stream =
    `: keep-alive\n\nevent: progress\ndata: ${JSON.stringify(status('running'))}\n\n` +
    `event: progress\r\ndata: ${JSON.stringify(status('running'))}\r\n\r\n` +
    `event: end\ndata: ${JSON.stringify(status('completed'))}\n\n`;
  for (const size of [1, 7, stream.length]) {
    assert.deepEqual(
      await collect(stream, size),
      [
        { event: 'progress', state: 'running' },
        { event: 'progress', state: 'running' },
        { event: 'end', state: 'completed' },
      ],
      `chunks of ${size}`,
    );
  }
});

it('skips events of other names and joins data split over several lines', async () => {
  const json = JSON.stringify(status('failed'), null, 1).split('\n');
  const stream = `event: other\ndata: {}\n\nevent: end\n${json.map((line) => `data: ${line}`).join('\n')}\n\n`;
  assert.deepEqual(await collect(stream, 5), [{ event: 'end', state: 'failed' }]);
});
