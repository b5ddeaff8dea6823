// The chosen model's gallery: enrol a person from a photo, see everyone with a reference photo, delete.
import { BlobUrls, getJson, LazyImages, request, segment, sendForm } from './api.js';
import { h, isAbort, showProblem, when } from './dom.js';
import { byId, MODEL_CHANGED, state } from './state.js';

/** @typedef {{ identity: string, photos: number, enrolledAt: string, updatedAt: string }} Person */

export function initGallery() {
  const form = /** @type {HTMLFormElement} */ (byId('enrol-form'));
  const nameInput = /** @type {HTMLInputElement} */ (byId('enrol-identity'));
  const photoInput = /** @type {HTMLInputElement} */ (byId('enrol-photo'));
  const submit = /** @type {HTMLButtonElement} */ (byId('enrol-submit'));
  const status = byId('enrol-status');
  const problem = byId('gallery-problem');
  const list = byId('gallery-list');
  const filter = /** @type {HTMLInputElement} */ (byId('gallery-filter'));
  const count = byId('gallery-count');
  const title = byId('gallery-model');
  const urls = new BlobUrls();
  const lazy = new LazyImages(urls);
  /** @type {Person[]} */
  let people = [];
  /** @type {AbortController | undefined} */
  let loading;

  const base = () => `/v1/models/${segment(state.modelId)}/identities`;

  function draw() {
    lazy.reset();
    urls.revokeAll();
    const wanted = filter.value.trim().toLocaleLowerCase();
    const shown = people.filter((person) => person.identity.toLocaleLowerCase().includes(wanted));
    count.textContent =
      people.length === 0
        ? 'Nobody is enrolled yet.'
        : `${shown.length === people.length ? '' : `${shown.length} of `}${people.length} ${people.length === 1 ? 'person' : 'people'}`;
    list.replaceChildren(
      ...shown.map((person) => {
        const img = /** @type {HTMLImageElement} */ (
          h('img', { alt: `Reference photo of ${person.identity}`, width: 96, height: 96 })
        );
        const modelId = state.modelId;
        lazy.add(img, async () => {
          const detail = await getJson(
            `/v1/models/${segment(modelId)}/identities/${segment(person.identity)}`,
          );
          return detail.photoList?.[0]?.url;
        });
        const remove = h('button', {
          type: 'button',
          class: 'danger small',
          text: 'Delete',
          'aria-label': `Delete ${person.identity}`,
          onClick: () => void removePerson(person, remove),
        });
        return h(
          'li',
          { class: 'card person', 'data-identity': person.identity },
          h('div', { class: 'thumb' }, img),
          h(
            'div',
            { class: 'card-body' },
            h('h3', { class: 'person-name', text: person.identity }),
            h('p', {
              class: 'subtle',
              text: `${person.photos} ${person.photos === 1 ? 'photo' : 'photos'} · since ${when(person.enrolledAt)}`,
            }),
            remove,
          ),
        );
      }),
    );
  }

  async function load() {
    loading?.abort();
    const controller = new AbortController();
    loading = controller;
    title.textContent = `of ${state.modelId}`;
    showProblem(problem);
    list.setAttribute('aria-busy', 'true');
    try {
      const answer = await getJson(base(), { signal: controller.signal });
      if (loading !== controller) return;
      people = answer.identities ?? [];
      draw();
    } catch (error) {
      if (isAbort(error)) return;
      people = [];
      draw();
      count.textContent = '';
      showProblem(problem, error);
    } finally {
      if (loading === controller) list.removeAttribute('aria-busy');
    }
  }

  /** @param {Person} person @param {HTMLElement} button */
  async function removePerson(person, button) {
    if (!window.confirm(`Delete ${person.identity} from ${state.modelId}, with their reference photos?`))
      return;
    button.setAttribute('disabled', '');
    showProblem(problem);
    try {
      await request(`${base()}/${segment(person.identity)}`, { method: 'DELETE' });
      status.textContent = `Deleted ${person.identity}.`;
      await load();
      filter.focus();
    } catch (error) {
      button.removeAttribute('disabled');
      showProblem(problem, error);
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showProblem(problem);
    const identity = nameInput.value.trim();
    const file = photoInput.files?.[0];
    if (identity === '') {
      showProblem(problem, new Error('Give the person a name.'));
      nameInput.focus();
      return;
    }
    if (file === undefined) {
      showProblem(problem, new Error('Choose a photo of them.'));
      photoInput.focus();
      return;
    }
    const body = new FormData();
    body.append('identity', identity);
    body.append('photo', file, file.name);
    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    status.textContent = `Enrolling ${identity}…`;
    try {
      const answer = await sendForm(base(), body);
      const outcome = answer.enrolled > 0 ? 'Enrolled' : 'Already enrolled (same photo)';
      status.textContent = `${outcome}: ${answer.identity}, ${answer.photos} ${answer.photos === 1 ? 'photo' : 'photos'} in the gallery.`;
      form.reset();
      await load();
    } catch (error) {
      status.textContent = '';
      showProblem(problem, error);
    } finally {
      submit.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
  filter.addEventListener('input', draw);
  byId('gallery-refresh').addEventListener('click', () => void load());
  document.addEventListener(MODEL_CHANGED, () => {
    people = [];
    status.textContent = '';
    if (!byId('view-gallery').hidden) void load();
  });

  return { show: load };
}
