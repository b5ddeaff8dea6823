// The page: sections switched by the address's #fragment, the model picker, and the API key dialog.
import { onKeyNeeded, storedKey, storeKey } from './api.js';
import { initDatasets } from './datasets.js';
import { h, showProblem } from './dom.js';
import { initGallery } from './gallery.js';
import { initIdentify } from './identify.js';
import { initModels } from './models.js';
import { initPipelines } from './pipelines.js';
import { BASELINE_MODEL, byId, chooseModel, MODEL_CHANGED, state } from './state.js';

const VIEWS = ['identify', 'gallery', 'datasets', 'models', 'pipelines'];

const dialog = /** @type {HTMLDialogElement} */ (byId('key-dialog'));
const keyInput = /** @type {HTMLInputElement} */ (byId('key-input'));
const keyButton = byId('key-button');
const modelSelect = /** @type {HTMLSelectElement} */ (byId('model-select'));

function showKeyState() {
  const key = storedKey();
  keyButton.textContent = key === '' ? 'API key' : 'API key ✓';
  keyButton.setAttribute('aria-label', key === '' ? 'API key: none set' : 'API key: set (change or forget)');
}

/**
 * Shows the key dialog; resolves with the key to use, '' when it was forgotten, null when cancelled.
 * @param {string} reason
 * @param {string} [problem]
 * @returns {Promise<string | null>}
 */
function keyDialog(reason, problem) {
  byId('key-reason').textContent = `${reason} The key is kept in this browser only (localStorage).`;
  showProblem(byId('key-problem'), problem ? new Error(problem) : undefined);
  byId('key-forget').hidden = storedKey() === '';
  keyInput.value = '';
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener(
      'close',
      () => {
        const choice = dialog.returnValue;
        const key = keyInput.value.trim();
        keyInput.value = '';
        if (choice === 'save' && key !== '') {
          storeKey(key);
          resolve(key);
        } else if (choice === 'forget') {
          storeKey('');
          resolve('');
        } else resolve(null);
        showKeyState();
      },
      { once: true },
    );
    if (!dialog.open) dialog.showModal();
    keyInput.focus();
  });
}

// Every call that meets a 401 waits on one dialog; the first words say why it opened.
onKeyNeeded((reason) => {
  const refused = reason.startsWith('The server refused');
  return keyDialog(
    refused ? 'That key did not work.' : 'This server needs an API key.',
    refused ? reason : undefined,
  );
});

keyButton.addEventListener('click', async () => {
  const changed = await keyDialog('Change the API key this page sends.');
  if (changed !== null) void models.reload();
});

// The model picker: ready models only (a model still training cannot identify yet).
/** @param {typeof state.models} list */
function fillModels(list) {
  state.models = list;
  const wanted = state.modelId;
  modelSelect.replaceChildren(
    ...list.map((model) =>
      h('option', {
        value: model.id,
        text: model.status === 'ready' ? model.id : `${model.id} (${model.status})`,
        disabled: model.status !== 'ready',
      }),
    ),
  );
  const usable = list.find((model) => model.id === wanted && model.status === 'ready');
  modelSelect.value = usable ? wanted : BASELINE_MODEL;
  if (!usable) chooseModel(BASELINE_MODEL);
}
modelSelect.addEventListener('change', () => chooseModel(modelSelect.value));
document.addEventListener(MODEL_CHANGED, () => {
  if (modelSelect.value !== state.modelId) modelSelect.value = state.modelId;
});

initIdentify();
const gallery = initGallery();
const datasets = initDatasets();
const models = initModels({ onModelsLoaded: fillModels });
const pipelines = initPipelines();
/** @type {Record<string, { show?: () => unknown }>} */
const views = { identify: {}, gallery, datasets, models, pipelines };

/** @param {boolean} moveFocus */
function route(moveFocus) {
  const wanted = location.hash.slice(1);
  const name = VIEWS.includes(wanted) ? wanted : 'identify';
  for (const view of VIEWS) byId(`view-${view}`).hidden = view !== name;
  for (const link of document.querySelectorAll('nav.tabs a')) {
    if (!(link instanceof HTMLElement)) continue;
    if (link.dataset.view === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = `${name[0]?.toUpperCase()}${name.slice(1)} · faceshot`;
  void views[name]?.show?.();
  if (moveFocus) byId(`${name}-title`).focus();
}
window.addEventListener('hashchange', () => route(true));

showKeyState();
modelSelect.value = state.modelId;
route(false);
// The model list fills the picker whichever section opens first (and asks for a key when needed).
if (location.hash !== '#models') void models.reload();
