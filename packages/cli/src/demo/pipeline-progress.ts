// Follows a pipeline's Server-Sent Events and prints its progress: one line per stage change (and a
// live line on a terminal), until the stream's `end` event.
import type { PipelineStatus, StageStatus } from '@faceshot/client/faceshot-client';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { ApiClient } from '../api-client.js';

/**
 * The `progress` and `end` events of a pipeline's event stream, as they arrive; each one's data is the
 * pipeline's state, as GET /v1/pipelines/{id} answers it. Other events (and comments) are skipped.
 */
export async function* pipelineEvents(
  chunks: AsyncIterable<Uint8Array>,
): AsyncGenerator<{ event: 'progress' | 'end'; status: PipelineStatus }> {
  const decoder = new TextDecoder();
  const parsed: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (message) => parsed.push(message) });
  for await (const chunk of chunks) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    for (const message of parsed.splice(0)) {
      if (message.event !== 'progress' && message.event !== 'end') continue;
      yield { event: message.event, status: JSON.parse(message.data) as PipelineStatus };
    }
  }
}

function describeStage(stage: StageStatus): string {
  const { total, completed, failed } = stage.jobs;
  const counts = total > 1 ? ` ${completed + failed}/${total}${failed > 0 ? ` (${failed} failed)` : ''}` : '';
  const progress = stage.progress;
  let detail = '';
  if (typeof progress === 'object' && progress !== null) {
    if ('epoch' in progress) {
      const fold =
        progress.fold === undefined
          ? ''
          : progress.fold === 0
            ? ' (shipped model)'
            : ` (fold ${String(progress.fold)})`;
      const score =
        typeof progress.valScore === 'number' ? ` validation score ${progress.valScore.toFixed(3)}` : '';
      detail = ` epoch ${String(progress.epoch)}/${String(progress.epochs)}${fold} loss ${Number(progress.loss).toFixed(4)}${score}`;
    } else if ('identities' in progress)
      detail = ` ${String(progress.identities)}/${String(progress.of)} people`;
  }
  return `${stage.name} ${stage.state}${counts}${detail}`;
}

export async function followPipeline(
  client: ApiClient,
  id: string,
  out: NodeJS.WriteStream,
): Promise<PipelineStatus> {
  const stream = await client.call(
    'following the pipeline',
    client.api.GET('/v1/pipelines/{id}/events', { params: { path: { id } }, parseAs: 'stream' }),
  );
  let last: PipelineStatus | undefined;
  const printed = new Map<string, string>();
  for await (const { event, status } of pipelineEvents((stream ?? []) as AsyncIterable<Uint8Array>)) {
    last = status;
    for (const stage of last.stages) {
      const text = describeStage(stage);
      // On a terminal every change; in a log a state change, every 10% of a stage's jobs, every epoch.
      const milestone = `${stage.state} ${Math.floor((10 * (stage.jobs.completed + stage.jobs.failed)) / Math.max(1, stage.jobs.total))} ${
        typeof stage.progress === 'object' && 'epoch' in stage.progress ? String(stage.progress.epoch) : ''
      }`;
      const key = out.isTTY ? text : milestone;
      if (printed.get(stage.name) !== key) {
        out.write(`  ${new Date().toISOString().slice(11, 19)}  ${text}\n`);
        printed.set(stage.name, key);
      }
    }
    if (event === 'end') return last;
  }
  if (last === undefined) throw new Error('the pipeline event stream ended without any event');
  return last;
}
