// The page's API client. Every call carries the stored key as `Authorization: Bearer <key>`; a 401
// asks the person for a key (once for all calls waiting on it) and tries again. Errors carry the
// problem+json `detail`.

const KEY_ITEM = 'faceshot.apiKey';
/** The key when the browser refuses storage. */
let memoryKey = '';

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status (0: no answer)
   * @param {string} title
   * @param {string} detail
   * @param {Record<string, unknown>} [problem] the problem document, when there was one
   */
  constructor(status, title, detail, problem) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.problem = problem;
  }
}

/** @returns {string} the stored key, or '' */
export function storedKey() {
  try {
    return localStorage.getItem(KEY_ITEM) ?? '';
  } catch {
    return '';
  }
}

/** @param {string} key '' forgets it */
export function storeKey(key) {
  try {
    if (key === '') localStorage.removeItem(KEY_ITEM);
    else localStorage.setItem(KEY_ITEM, key);
  } catch {
    // Storage refused (private mode): the key lasts until the page closes.
  }
  memoryKey = key;
}
const currentKey = () => storedKey() || memoryKey;

/** @type {(reason: string) => Promise<string | null>} */
let askForKey = async () => null;
/** @type {Promise<string | null> | null} */
let asking = null;

/**
 * The page's way to ask for a key: resolves with the key to try, or null when the person cancels.
 * @param {(reason: string) => Promise<string | null>} handler
 */
export function onKeyNeeded(handler) {
  askForKey = handler;
}

function requestKey(reason) {
  asking ??= askForKey(reason).finally(() => {
    asking = null;
  });
  return asking;
}

/** @param {Response} response */
async function errorOf(response) {
  const type = response.headers.get('content-type') ?? '';
  let body;
  try {
    body = type.includes('json') ? await response.json() : await response.text();
  } catch {
    body = undefined;
  }
  if (body !== null && typeof body === 'object') {
    const title = typeof body.title === 'string' ? body.title : response.statusText;
    const detail =
      typeof body.detail === 'string' ? body.detail : typeof body.message === 'string' ? body.message : title;
    return new ApiError(response.status, title, detail || `HTTP ${response.status}`, body);
  }
  const text = typeof body === 'string' ? body.trim() : '';
  const detail = text !== '' && text.length < 300 && !text.startsWith('<') ? text : '';
  return new ApiError(
    response.status,
    response.statusText,
    detail || `HTTP ${response.status} ${response.statusText}`.trim(),
  );
}

/**
 * API paths ('/v1/…', also as the API writes them in answers) relative to the page, so the page also
 * works behind a proxy that serves the API under a path prefix.
 * @param {string} path
 */
export function apiUrl(path) {
  return path.startsWith('/') ? new URL(path.slice(1), document.baseURI).href : path;
}

/**
 * fetch() with the key. Answers that are not 2xx throw an ApiError; a 401 first asks for a key.
 * @param {string} path
 * @param {RequestInit} [init]
 * @returns {Promise<Response>}
 */
export async function request(path, init = {}) {
  for (;;) {
    const key = currentKey();
    const headers = new Headers(init.headers);
    if (key !== '') headers.set('authorization', `Bearer ${key}`);
    let response;
    try {
      response = await fetch(apiUrl(path), { ...init, headers });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw error;
      throw new ApiError(
        0,
        'No answer',
        `the API did not answer (${error instanceof Error ? error.message : error})`,
      );
    }
    if (response.ok) return response;
    const problem = await errorOf(response);
    if (response.status !== 401) throw problem;
    // Another call may have got a new key while this one was on its way: try that first.
    if (currentKey() !== key) continue;
    const reason =
      key === '' ? 'This server needs an API key.' : `The server refused the key: ${problem.detail}.`;
    // A refused key is not kept: the next visit asks instead of failing again.
    if (key !== '') storeKey('');
    const next = await requestKey(reason);
    if (next === null) throw problem;
  }
}

/** @returns {Promise<any>} */
export async function getJson(path, init = {}) {
  const response = await request(path, { ...init, headers: { accept: 'application/json', ...init.headers } });
  return response.json();
}

/** @returns {Promise<any>} */
export async function sendJson(method, path, body) {
  const init = { method, headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  return (await request(path, init)).json();
}

/**
 * multipart/form-data (photos): the browser sets the boundary.
 * @param {string} path
 * @param {FormData} form
 * @param {AbortSignal} [signal]
 * @returns {Promise<any>}
 */
export async function sendForm(path, form, signal) {
  const response = await request(path, {
    method: 'POST',
    body: form,
    headers: { accept: 'application/json' },
    signal,
  });
  return response.json();
}

/** Path segments for URLs: model ids, identity names ("Ada Lovelace"), dataset ids. */
export const segment = (value) => encodeURIComponent(String(value));

/**
 * Object URLs for images fetched with the key (an <img> cannot send a bearer header). Each view keeps
 * one of these and revokes its URLs when it redraws.
 */
export class BlobUrls {
  constructor() {
    /** @type {Set<string>} */
    this.urls = new Set();
  }

  /** @param {string} path @param {AbortSignal} [signal] */
  async load(path, signal) {
    const blob = await (await request(path, { signal })).blob();
    const url = URL.createObjectURL(blob);
    this.urls.add(url);
    return url;
  }

  revokeAll() {
    for (const url of this.urls) URL.revokeObjectURL(url);
    this.urls.clear();
  }
}

/**
 * Images load only when they scroll into view, a few at a time, so a gallery of hundreds costs only
 * what is seen.
 */
export class LazyImages {
  /** @param {BlobUrls} urls @param {number} [parallel] */
  constructor(urls, parallel = 4) {
    this.urls = urls;
    this.parallel = parallel;
    this.running = 0;
    /** @type {(() => Promise<void>)[]} */
    this.queue = [];
    /** @type {WeakMap<Element, () => Promise<void>>} */
    this.pending = new WeakMap();
    this.observer =
      typeof IntersectionObserver === 'function'
        ? new IntersectionObserver((entries) => this.#visible(entries), { rootMargin: '200px' })
        : null;
  }

  /**
   * @param {HTMLImageElement} img
   * @param {() => Promise<string | undefined>} source resolves with the API path of the image
   */
  add(img, source) {
    const task = async () => {
      try {
        const path = await source();
        if (path === undefined) {
          img.closest('.thumb')?.classList.add('empty');
          return;
        }
        img.src = await this.urls.load(path);
      } catch {
        img.closest('.thumb')?.classList.add('broken');
      }
    };
    if (this.observer === null) {
      this.#enqueue(task);
      return;
    }
    this.pending.set(img, task);
    this.observer.observe(img);
  }

  reset() {
    this.observer?.disconnect();
    this.queue = [];
    this.pending = new WeakMap();
  }

  #visible(entries) {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      const task = this.pending.get(entry.target);
      this.observer?.unobserve(entry.target);
      this.pending.delete(entry.target);
      if (task !== undefined) this.#enqueue(task);
    }
  }

  #enqueue(task) {
    this.queue.push(task);
    this.#pump();
  }

  #pump() {
    while (this.running < this.parallel && this.queue.length > 0) {
      const task = this.queue.shift();
      if (task === undefined) break;
      this.running += 1;
      task().finally(() => {
        this.running -= 1;
        this.#pump();
      });
    }
  }
}
