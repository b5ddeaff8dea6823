// Follows a pipeline's Server-Sent Events and prints its progress: one line per stage change (and a
// live line on a terminal), until the stream's `end` event.
import type { PipelineStatus, StageStatus } from '@faceshot/client/faceshot-client';
import type { ApiClient } from '../api-client.js';

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
  const decoder = new TextDecoder();
  let buffer = '';
  let last: PipelineStatus | undefined;
  const printed = new Map<string, string>();
  for await (const chunk of stream ?? []) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const lines = buffer.slice(0, end).split('\n');
      buffer = buffer.slice(end + 2);
      const data = lines.find((line) => line.startsWith('data: '));
      const event = lines.find((line) => line.startsWith('event: '))?.slice(7);
      if (data === undefined || (event !== 'progress' && event !== 'end')) continue;
      // Each event's data is the pipeline's state, as GET /v1/pipelines/{id} answers it.
      last = JSON.parse(data.slice(6)) as PipelineStatus;
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
  }
  if (last === undefined) throw new Error('the pipeline event stream ended without any event');
  return last;
}
