// Datasets: every dataset, its people with photo counts per stage, and the curated faces of a person
// (kept, rejected with the reason, pending), with keep / reject overrides.
import { BlobUrls, getJson, LazyImages, segment, sendJson } from './api.js';
import { h, isAbort, num, replace, showProblem, when } from './dom.js';
import { byId } from './state.js';

/** Faces drawn at once; more are a click away. */
const PAGE = 120;

/**
 * @typedef {{ id: string, name: string, createdAt: string }} Dataset
 * @typedef {{ faceId: string, identity: string, status: 'kept' | 'rejected' | 'pending', outcome: string,
 *   reason?: string, overridden: boolean, distance?: number, score?: number, faceCount: number, blur?: number,
 *   imageUrl?: string }} Face
 */

export function initDatasets() {
  const list = byId('datasets-list');
  const detail = byId('dataset-detail');
  const problem = byId('datasets-problem');
  const urls = new BlobUrls();
  const lazy = new LazyImages(urls);
  /** @type {string | undefined} */
  let openId;
  /** @type {AbortController | undefined} */
  let facesLoading;

  async function loadList() {
    showProblem(problem);
    list.setAttribute('aria-busy', 'true');
    try {
      /** @type {{ datasets: Dataset[] }} */
      const answer = await getJson('/v1/datasets');
      const datasets = answer.datasets ?? [];
      list.replaceChildren(
        ...(datasets.length === 0
          ? [h('li', { class: 'subtle', text: 'No datasets yet (faceshot import <folder> makes one).' })]
          : datasets.map((dataset) =>
              h(
                'li',
                {},
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'pick',
                    'aria-current': dataset.id === openId ? 'true' : undefined,
                    'data-id': dataset.id,
                    onClick: () => void open(dataset.id),
                  },
                  h('span', { class: 'pick-title', text: dataset.name }),
                  h('span', { class: 'subtle', text: `${dataset.id} · ${when(dataset.createdAt)}` }),
                ),
              ),
            )),
      );
    } catch (error) {
      showProblem(problem, error);
    } finally {
      list.removeAttribute('aria-busy');
    }
  }

  /** @param {string} id */
  async function open(id) {
    openId = id;
    for (const button of list.querySelectorAll('button.pick')) {
      if (button instanceof HTMLElement) {
        if (button.dataset.id === id) button.setAttribute('aria-current', 'true');
        else button.removeAttribute('aria-current');
      }
    }
    showProblem(problem);
    detail.setAttribute('aria-busy', 'true');
    try {
      const dataset = await getJson(`/v1/datasets/${segment(id)}`);
      if (openId !== id) return;
      const facesArea = h('div', { class: 'faces-area' });
      const statusSelect = /** @type {HTMLSelectElement} */ (
        h(
          'select',
          { id: 'faces-status' },
          h('option', { value: '', text: 'every status' }),
          h('option', { value: 'kept', text: 'kept' }),
          h('option', { value: 'rejected', text: 'rejected' }),
          h('option', { value: 'pending', text: 'pending' }),
        )
      );
      /** @type {string | undefined} */
      let shownIdentity;
      statusSelect.addEventListener('change', () => {
        if (shownIdentity !== undefined)
          void showFaces(dataset.id, shownIdentity, statusSelect.value, facesArea);
      });
      const rows = (dataset.identities ?? []).map((row) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row', text: row.identity }),
          h('td', { class: 'numeric', text: row.raw }),
          h('td', { class: 'numeric', text: row.faces }),
          h('td', { class: 'numeric', text: row.gray }),
          h(
            'td',
            {},
            h('button', {
              type: 'button',
              class: 'secondary small',
              text: 'Faces',
              'aria-label': `Faces of ${row.identity}`,
              onClick: () => {
                shownIdentity = row.identity;
                void showFaces(dataset.id, row.identity, statusSelect.value, facesArea);
              },
            }),
          ),
        ),
      );
      const totals = dataset.totals ?? { raw: 0, faces: 0, gray: 0 };
      replace(
        detail,
        h('h2', { text: dataset.name }),
        h('p', {
          class: 'subtle',
          text: `${dataset.id} · created ${when(dataset.createdAt)} · ${rows.length} ${rows.length === 1 ? 'person' : 'people'} · ${totals.raw} photos, ${totals.faces} faces, ${totals.gray} training inputs`,
        }),
        rows.length === 0
          ? h('p', { class: 'subtle', text: 'No photos yet.' })
          : h(
              'div',
              { class: 'table-scroll' },
              h(
                'table',
                { class: 'identities' },
                h('caption', { class: 'visually-hidden', text: `People in ${dataset.name}` }),
                h(
                  'thead',
                  {},
                  h(
                    'tr',
                    {},
                    h('th', { scope: 'col', text: 'Person' }),
                    h('th', { scope: 'col', class: 'numeric', text: 'Photos' }),
                    h('th', { scope: 'col', class: 'numeric', text: 'Faces' }),
                    h('th', { scope: 'col', class: 'numeric', text: 'Grey' }),
                    h(
                      'th',
                      { scope: 'col', text: '' },
                      h('span', { class: 'visually-hidden', text: 'Actions' }),
                    ),
                  ),
                ),
                h('tbody', {}, rows),
              ),
            ),
        h('div', { class: 'toolbar' }, h('label', { for: 'faces-status', text: 'Show faces' }), statusSelect),
        facesArea,
      );
    } catch (error) {
      if (!isAbort(error)) showProblem(problem, error);
    } finally {
      detail.removeAttribute('aria-busy');
    }
  }

  /**
   * @param {string} datasetId @param {string} identity @param {string} status
   * @param {HTMLElement} area
   */
  async function showFaces(datasetId, identity, status, area) {
    facesLoading?.abort();
    const controller = new AbortController();
    facesLoading = controller;
    lazy.reset();
    urls.revokeAll();
    area.replaceChildren(
      h('p', { class: 'subtle', role: 'status', text: `Loading the faces of ${identity}…` }),
    );
    const query = new URLSearchParams({ identity });
    if (status !== '') query.set('status', status);
    try {
      /** @type {{ faces: Face[] }} */
      const answer = await getJson(`/v1/datasets/${segment(datasetId)}/faces?${query}`, {
        signal: controller.signal,
      });
      if (facesLoading !== controller) return;
      const faces = answer.faces ?? [];
      const grid = h('ul', { class: 'cards faces', 'aria-label': `Faces of ${identity}` });
      const heading = h('h3', {
        text: `${identity}: ${faces.length} ${faces.length === 1 ? 'face' : 'faces'}${status ? ` (${status})` : ''}`,
      });
      area.replaceChildren(heading, grid);
      let drawn = 0;
      const more = h('button', { type: 'button', class: 'secondary', text: 'Show more' });
      const drawPage = () => {
        grid.append(...faces.slice(drawn, drawn + PAGE).map((face) => faceCard(datasetId, face)));
        drawn = Math.min(faces.length, drawn + PAGE);
        if (drawn >= faces.length) more.remove();
      };
      more.addEventListener('click', drawPage);
      drawPage();
      if (drawn < faces.length) area.append(more);
      if (faces.length === 0)
        area.append(h('p', { class: 'subtle', text: 'No faces (run extraction first?).' }));
    } catch (error) {
      if (!isAbort(error)) {
        area.replaceChildren();
        showProblem(problem, error);
      }
    }
  }

  /** @param {string} datasetId @param {Face} face */
  function faceCard(datasetId, face) {
    const img = /** @type {HTMLImageElement} */ (
      h('img', {
        alt: `${face.identity}, face ${face.faceId.slice(0, 8)} (${face.status})`,
        width: 96,
        height: 96,
      })
    );
    const thumb = h('div', { class: 'thumb' }, img);
    if (face.imageUrl) lazy.add(img, async () => face.imageUrl);
    else thumb.classList.add('empty');
    const badge = h('span', {
      class: `badge ${face.status}`,
      text: face.overridden ? `${face.status} (by hand)` : face.status,
    });
    const numbers = [
      face.score === undefined ? '' : `detector ${num(face.score, 2)}`,
      face.distance === undefined ? '' : `distance ${num(face.distance, 2)}`,
      face.blur === undefined ? '' : `sharpness ${num(face.blur, 0)}`,
      face.faceCount > 1 ? `${face.faceCount} faces in photo` : '',
    ].filter(Boolean);
    const reason = h('p', { class: 'reason', text: face.reason ?? '' });
    const card = h(
      'li',
      { class: `card face ${face.status}` },
      thumb,
      h('div', { class: 'card-body' }, badge, reason, h('p', { class: 'subtle', text: numbers.join(' · ') })),
    );
    if (face.outcome === 'face') {
      const target = face.status === 'kept' ? 'rejected' : 'kept';
      const toggle = h('button', {
        type: 'button',
        class: 'secondary small',
        text: target === 'kept' ? 'Keep' : 'Reject',
        'aria-label': `${target === 'kept' ? 'Keep' : 'Reject'} face ${face.faceId.slice(0, 8)} of ${face.identity}`,
        onClick: async () => {
          toggle.setAttribute('disabled', '');
          try {
            const updated = await sendJson(
              'PATCH',
              `/v1/datasets/${segment(datasetId)}/faces/${face.faceId}`,
              {
                status: target,
              },
            );
            card.replaceWith(faceCard(datasetId, { ...face, ...updated }));
          } catch (error) {
            toggle.removeAttribute('disabled');
            showProblem(problem, error);
          }
        },
      });
      card.querySelector('.card-body')?.append(toggle);
    }
    return card;
  }

  byId('datasets-refresh').addEventListener('click', () => {
    void loadList();
    if (openId !== undefined) void open(openId);
  });
  return { show: loadList };
}
