// Pipelines: the runs (GET /v1/pipelines) and one followed live over Server-Sent Events
// (GET /v1/pipelines/:id/events: `progress` events carry the whole state, `end` closes). The stream is
// read with fetch() so it can carry the API key.
import { ApiError, getJson, request, segment, sendJson } from './api.js';
import { h, isAbort, num, replace, showProblem, when } from './dom.js';
import { serverEvents } from './sse.js';
import { byId } from './state.js';

/**
 * @typedef {{ total: number, completed: number, failed: number }} Jobs
 * @typedef {{ name: string, state: string, progress: number | Record<string, any>, jobs?: Jobs,
 *   failedReason?: string }} Stage
 * @typedef {{ id: string, datasetId?: string, modelId?: string, state: string, stages?: Stage[],
 *   createdAt?: string, failedReason?: string }} Pipeline
 */

const RETRIES = 5;

const clamp01 = (value) => (Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0);

/**
 * A stage's share done, in [0, 1]. `progress` is a percentage, or what the worker reports: training
 * {epoch, epochs}, pair building {done, total}, enrolment {identities, of}.
 * @param {Stage} stage
 */
export function stageFraction(stage) {
  if (stage.state === 'completed' || stage.state === 'skipped') return 1;
  const progress = stage.progress;
  if (typeof progress === 'number' && progress > 0) return clamp01(progress / 100);
  if (progress !== null && typeof progress === 'object') {
    if (Number(progress.epochs) > 0) return clamp01(Number(progress.epoch) / Number(progress.epochs));
    if (Number(progress.total) > 0) return clamp01(Number(progress.done) / Number(progress.total));
    if (Number(progress.of) > 0) return clamp01(Number(progress.identities) / Number(progress.of));
  }
  const jobs = stage.jobs;
  if (jobs && jobs.total > 1) return clamp01((jobs.completed + jobs.failed) / jobs.total);
  return 0;
}

/** What an object progress says, in words ('' for a plain percentage). @param {Stage} stage */
function progressWords(stage) {
  const progress = stage.progress;
  if (progress === null || typeof progress !== 'object' || stage.state === 'completed') return '';
  if (Number(progress.epochs) > 0) {
    const loss = Number.isFinite(progress.valLoss) ? `, validation loss ${num(progress.valLoss, 4)}` : '';
    return `epoch ${progress.epoch} of ${progress.epochs}${loss}`;
  }
  if (Number(progress.total) > 0) return `${progress.stage ?? 'done'} ${progress.done} of ${progress.total}`;
  if (Number(progress.of) > 0) return `${progress.identities} of ${progress.of} people`;
  return '';
}

export function initPipelines() {
  const list = byId('pipelines-list');
  const detail = byId('pipeline-detail');
  const problem = byId('pipelines-problem');
  /** @type {AbortController | undefined} */
  let following;

  async function loadList() {
    showProblem(problem);
    list.setAttribute('aria-busy', 'true');
    try {
      const answer = await getJson('/v1/pipelines');
      /** @type {Pipeline[]} */
      const pipelines = Array.isArray(answer) ? answer : (answer.pipelines ?? answer.items ?? []);
      list.replaceChildren(
        ...(pipelines.length === 0
          ? [h('li', { class: 'subtle', text: 'No pipelines yet.' })]
          : pipelines.map((pipeline) =>
              h(
                'li',
                {},
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'pick',
                    'data-id': pipeline.id,
                    onClick: () => follow(pipeline.id),
                  },
                  h('span', { class: 'pick-title', text: pipeline.id }),
                  h(
                    'span',
                    { class: 'subtle' },
                    h('span', { class: `badge ${pipeline.state}`, text: pipeline.state }),
                    ` ${pipeline.datasetId ?? ''}${pipeline.modelId ? ` → ${pipeline.modelId}` : ''}`,
                  ),
                ),
              ),
            )),
      );
    } catch (error) {
      list.replaceChildren();
      if (error instanceof ApiError && error.status === 404) {
        showProblem(problem, new Error('This server has no pipelines yet (GET /v1/pipelines answered 404).'));
      } else showProblem(problem, error);
    } finally {
      list.removeAttribute('aria-busy');
    }
  }

  /** @param {Pipeline} pipeline @param {HTMLElement} stagesArea @param {HTMLElement} heading */
  function draw(pipeline, stagesArea, heading) {
    heading.replaceChildren(
      `Pipeline ${pipeline.id} `,
      h('span', { class: `badge ${pipeline.state}`, text: pipeline.state }),
    );
    const stages = Array.isArray(pipeline.stages) ? pipeline.stages : [];
    replace(
      stagesArea,
      h(
        'p',
        { class: 'subtle' },
        pipeline.datasetId ? `dataset ${pipeline.datasetId}` : '',
        pipeline.modelId ? ` · model ${pipeline.modelId}` : '',
        pipeline.createdAt ? ` · started ${when(pipeline.createdAt)}` : '',
      ),
      pipeline.failedReason ? h('p', { class: 'problem', text: pipeline.failedReason }) : null,
      h(
        'ol',
        { class: 'stages' },
        stages.map((stage, index) => {
          const fraction = stageFraction(stage);
          const id = `stage-${index}`;
          const jobs = stage.jobs;
          return h(
            'li',
            { class: `stage ${stage.state}` },
            h(
              'div',
              { class: 'stage-head' },
              h('span', { class: 'stage-name', id, text: stage.name }),
              h('span', { class: `badge ${stage.state}`, text: stage.state }),
            ),
            h('progress', { max: 1, value: fraction, 'aria-labelledby': id }),
            h('span', {
              class: 'subtle',
              text: [
                `${num(fraction * 100, 0)} %`,
                jobs && jobs.total > 1
                  ? `${jobs.completed} of ${jobs.total} jobs${jobs.failed > 0 ? `, ${jobs.failed} failed` : ''}`
                  : '',
                progressWords(stage),
              ]
                .filter(Boolean)
                .join(' · '),
            }),
            stage.failedReason ? h('p', { class: 'reason', text: stage.failedReason }) : null,
          );
        }),
      ),
    );
  }

  /** @param {string} id */
  async function follow(id) {
    following?.abort();
    const controller = new AbortController();
    following = controller;
    for (const button of list.querySelectorAll('button.pick')) {
      if (!(button instanceof HTMLElement)) continue;
      if (button.dataset.id === id) button.setAttribute('aria-current', 'true');
      else button.removeAttribute('aria-current');
    }
    const heading = h('h2', { text: `Pipeline ${id}` });
    const live = h('p', { class: 'status', role: 'status', 'aria-live': 'polite', text: 'Connecting…' });
    const stagesArea = h('div', { class: 'stages-area' });
    const stop = h('button', {
      type: 'button',
      class: 'secondary',
      text: 'Stop following',
      onClick: () => {
        controller.abort();
        live.textContent = 'Stopped following.';
        stop.remove();
      },
    });
    const cancel = h('button', {
      type: 'button',
      class: 'danger',
      text: 'Cancel pipeline',
      hidden: true,
      onClick: async () => {
        if (!window.confirm(`Cancel pipeline ${id}? Waiting jobs are removed; a running job finishes.`))
          return;
        cancel.setAttribute('disabled', '');
        try {
          update(await sendJson('DELETE', `/v1/pipelines/${segment(id)}`));
        } catch (error) {
          showProblem(problem, error);
        } finally {
          cancel.removeAttribute('disabled');
        }
      },
    });
    detail.replaceChildren(h('div', { class: 'toolbar' }, heading, cancel, stop), live, stagesArea);
    showProblem(problem);

    let lastState = '';
    /** @param {Pipeline} pipeline */
    const update = (pipeline) => {
      draw(pipeline, stagesArea, heading);
      cancel.hidden = pipeline.state !== 'running';
      // Screen readers hear state changes, not every progress tick.
      if (pipeline.state !== lastState) live.textContent = `Pipeline ${pipeline.state}.`;
      lastState = pipeline.state;
    };

    let lastId = '';
    let ended = false;
    let failures = 0;
    /** @type {unknown} */
    let lastError;
    while (!ended && !controller.signal.aborted) {
      try {
        /** @type {Record<string, string>} */
        const headers = { accept: 'text/event-stream' };
        if (lastId !== '') headers['last-event-id'] = lastId;
        const response = await request(`/v1/pipelines/${segment(id)}/events`, {
          headers,
          signal: controller.signal,
        });
        live.textContent = 'Following live.';
        for await (const event of serverEvents(response)) {
          if (event.id !== '') lastId = event.id;
          if (event.event === 'progress') {
            failures = 0;
            update(JSON.parse(event.data));
          } else if (event.event === 'end') {
            if (event.data !== '') update(JSON.parse(event.data));
            ended = true;
            break;
          } else if (event.event === 'error') {
            // The server could not read the state; it closes the stream and we reconnect.
            lastError = new Error(JSON.parse(event.data).detail ?? event.data);
          }
        }
      } catch (error) {
        if (isAbort(error) || controller.signal.aborted) return;
        if (error instanceof ApiError && error.status >= 400 && error.status < 500) {
          live.textContent = '';
          showProblem(problem, error);
          stop.remove();
          return;
        }
        lastError = error;
      }
      if (ended || controller.signal.aborted) break;
      // The stream closed without `end` (a restart, a proxy timeout): reconnect, a few times.
      failures += 1;
      if (failures > RETRIES) {
        live.textContent = 'The stream stopped; choose the pipeline again to retry.';
        if (lastError !== undefined) showProblem(problem, lastError);
        stop.remove();
        return;
      }
      live.textContent = 'Connection lost; reconnecting…';
      await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** failures));
    }
    if (ended && following === controller) {
      live.textContent = `Finished: ${lastState || 'ended'}.`;
      stop.remove();
      void loadList();
    }
  }

  byId('pipelines-refresh').addEventListener('click', () => void loadList());
  // A followed pipeline keeps streaming while another section is open.
  return { show: loadList };
}
