// Identify: upload a photo, see every face boxed on it with the name (or "unknown") and its score.
import { segment, sendForm } from './api.js';
import { h, isAbort, num, showProblem } from './dom.js';
import { byId, MODEL_CHANGED, state } from './state.js';

/**
 * @typedef {{ x: number, y: number, width: number, height: number }} Box
 * @typedef {{ identity: string, distance: number, score: number }} Match
 * @typedef {{ box: Box, identity: string, distance: number | null, score: number, matches: Match[] }} Face
 * @typedef {{ modelId?: string, threshold: number, galleryIdentities?: number, faces: Face[] }} Answer
 */

const clamp = (value) => Math.min(100, Math.max(0, value));

export function initIdentify() {
  const form = /** @type {HTMLFormElement} */ (byId('identify-form'));
  const input = /** @type {HTMLInputElement} */ (byId('identify-photo'));
  const drop = byId('identify-drop');
  const status = byId('identify-status');
  const problem = byId('identify-problem');
  const result = byId('identify-result');
  const figure = byId('identify-figure');
  const image = /** @type {HTMLImageElement} */ (byId('identify-image'));
  const boxes = byId('identify-boxes');
  const list = byId('identify-faces-list');
  const facesOption = /** @type {HTMLSelectElement} */ (byId('identify-faces'));
  const topK = /** @type {HTMLInputElement} */ (byId('identify-topk'));
  const threshold = /** @type {HTMLInputElement} */ (byId('identify-threshold'));

  /** @type {AbortController | undefined} */
  let running;
  let previewUrl = '';

  function highlight(index, on) {
    boxes.children[index]?.classList.toggle('active', on);
    list.children[index]?.classList.toggle('active', on);
  }

  /** @param {Answer} answer @param {string} name @param {number} ms */
  function render(answer, name, ms) {
    const faces = Array.isArray(answer.faces) ? answer.faces : [];
    const width = image.naturalWidth;
    const height = image.naturalHeight;
    boxes.replaceChildren(
      ...(width > 0 && height > 0
        ? faces.map((face, index) => {
            const known = face.identity !== 'unknown';
            const left = clamp((face.box.x / width) * 100);
            const top = clamp((face.box.y / height) * 100);
            const right = clamp(((face.box.x + face.box.width) / width) * 100);
            const bottom = clamp(((face.box.y + face.box.height) / height) * 100);
            const box = h(
              'div',
              { class: `face-box ${known ? 'known' : 'unknown'}${bottom > 82 ? ' label-above' : ''}` },
              h(
                'span',
                { class: 'face-label' },
                h('span', { class: 'face-number', text: index + 1 }),
                h('span', { class: 'face-name', text: face.identity }),
                face.distance === null ? null : h('span', { class: 'face-score', text: num(face.score, 2) }),
              ),
            );
            box.style.left = `${left}%`;
            box.style.top = `${top}%`;
            box.style.width = `${Math.max(0, right - left)}%`;
            box.style.height = `${Math.max(0, bottom - top)}%`;
            return box;
          })
        : []),
    );
    list.replaceChildren(
      ...faces.map((face, index) => {
        const known = face.identity !== 'unknown';
        const others = (face.matches ?? []).filter((match) => match.identity !== face.identity || !known);
        const item = h(
          'li',
          {
            class: known ? 'known' : 'unknown',
            tabindex: 0,
            onMouseenter: () => highlight(index, true),
            onMouseleave: () => highlight(index, false),
            onFocus: () => highlight(index, true),
            onBlur: () => highlight(index, false),
          },
          h('span', { class: 'face-name', text: known ? face.identity : 'unknown' }),
          h('span', {
            class: 'face-numbers',
            text:
              face.distance === null
                ? ' · nobody enrolled to compare with'
                : ` score ${num(face.score, 2)} · distance ${num(face.distance, 3)}`,
          }),
          others.length > 0
            ? h(
                'div',
                { class: 'matches' },
                known ? 'Next: ' : 'Nearest: ',
                others.map((match, at) => [
                  at > 0 ? ', ' : '',
                  h('span', { text: `${match.identity} (${num(match.score, 2)})` }),
                ]),
              )
            : null,
        );
        return item;
      }),
    );
    const names = faces.map((face, index) => `face ${index + 1}: ${face.identity}`).join('; ');
    image.alt = faces.length > 0 ? `${name}, ${names}` : `${name}, no face found`;
    const people = answer.galleryIdentities;
    const gallery =
      people === undefined
        ? ''
        : people === 0
          ? '; the gallery is empty: enrol people under Gallery'
          : `; ${people} in the gallery`;
    status.textContent =
      `${faces.length} ${faces.length === 1 ? 'face' : 'faces'} · ${answer.modelId ?? state.modelId} · ` +
      `threshold ${num(answer.threshold, 3)}${gallery} · ${(ms / 1000).toFixed(1)} s`;
    if (width === 0) status.textContent += ' (this browser cannot show the photo; faces are listed below)';
  }

  async function identify() {
    const file = input.files?.[0];
    showProblem(problem);
    if (file === undefined) {
      showProblem(problem, new Error('Choose a photo first.'));
      input.focus();
      return;
    }
    running?.abort();
    const controller = new AbortController();
    running = controller;
    if (previewUrl !== '') URL.revokeObjectURL(previewUrl);
    previewUrl = URL.createObjectURL(file);
    boxes.replaceChildren();
    list.replaceChildren();
    image.alt = file.name;
    image.src = previewUrl;
    result.hidden = false;
    status.textContent = `Looking for faces with ${state.modelId}…`;
    form.setAttribute('aria-busy', 'true');

    const query = new URLSearchParams({ topK: topK.value || '3', faces: facesOption.value });
    if (threshold.value.trim() !== '') query.set('threshold', threshold.value.trim());
    const body = new FormData();
    body.append('photo', file, file.name);
    const started = performance.now();
    try {
      const answer = await sendForm(
        `/v1/models/${segment(state.modelId)}/identify?${query}`,
        body,
        controller.signal,
      );
      await image.decode().catch(() => undefined);
      if (running === controller) render(answer, file.name, performance.now() - started);
    } catch (error) {
      if (isAbort(error) || running !== controller) return;
      status.textContent = '';
      showProblem(problem, error);
    } finally {
      if (running === controller) form.removeAttribute('aria-busy');
    }
  }

  image.addEventListener('load', () => {
    if (image.naturalWidth > 0 && image.naturalHeight > 0) {
      figure.style.setProperty('--natural-width', `${image.naturalWidth}px`);
      figure.style.setProperty('--aspect', String(image.naturalWidth / image.naturalHeight));
    }
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void identify();
  });
  // Choosing a photo identifies it at once; the button runs it again (other options, another model).
  input.addEventListener('change', () => {
    if (input.files?.length) void identify();
  });
  for (const type of ['dragenter', 'dragover']) {
    drop.addEventListener(type, (event) => {
      event.preventDefault();
      drop.classList.add('dragging');
    });
  }
  for (const type of ['dragleave', 'drop']) {
    drop.addEventListener(type, () => drop.classList.remove('dragging'));
  }
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    const files = /** @type {DragEvent} */ (event).dataTransfer?.files;
    if (files && files.length > 0) {
      input.files = files;
      void identify();
    }
  });
  document.addEventListener(MODEL_CHANGED, () => {
    running?.abort();
    boxes.replaceChildren();
    list.replaceChildren();
    status.textContent = input.files?.length
      ? `Model changed to ${state.modelId}: press Identify to run again.`
      : '';
  });
}
