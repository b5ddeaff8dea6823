// What the views share: the chosen model (kept in this browser) and the known models.

const MODEL_ITEM = 'faceshot.model';
export const BASELINE_MODEL = 'faceapi-baseline';

export const state = {
  /** @type {string} */
  modelId: readModel(),
  /** @type {{ id: string, architecture: string, status: string, galleryIdentities: number }[]} */
  models: [],
};

/** Fired on `document` when the chosen model changes; detail: the model id. */
export const MODEL_CHANGED = 'faceshot:model';

function readModel() {
  try {
    return localStorage.getItem(MODEL_ITEM) || BASELINE_MODEL;
  } catch {
    return BASELINE_MODEL;
  }
}

/** @param {string} modelId */
export function chooseModel(modelId) {
  if (modelId === state.modelId) return;
  state.modelId = modelId;
  try {
    localStorage.setItem(MODEL_ITEM, modelId);
  } catch {
    // Not kept: fine.
  }
  document.dispatchEvent(new CustomEvent(MODEL_CHANGED, { detail: modelId }));
}

/** @param {string} id @returns {HTMLElement} */
export function byId(id) {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element;
}
