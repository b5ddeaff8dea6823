// Small DOM helpers: building elements (text always as text, never parsed as HTML), problems, formats.

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * @param {Element} element
 * @param {Record<string, unknown>} props
 * @param {unknown[]} children
 */
function fill(element, props, children) {
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') element.setAttribute('class', String(value));
    else if (name === 'text') element.textContent = String(value);
    else if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2).toLowerCase(), /** @type {EventListener} */ (value));
    } else if (name in element && !name.includes('-') && !(element instanceof SVGElement)) {
      /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (element))[name] = value;
    } else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/**
 * An HTML element: h('button', { type: 'button', onClick: … }, 'Delete').
 * @param {string} tag
 * @param {Record<string, unknown>} [props]
 * @param {...unknown} children
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, ...children) {
  return /** @type {HTMLElement} */ (fill(document.createElement(tag), props, children));
}

/**
 * An SVG element; every prop is an attribute.
 * @param {string} tag
 * @param {Record<string, unknown>} [props]
 * @param {...unknown} children
 * @returns {SVGElement}
 */
export function s(tag, props = {}, ...children) {
  return /** @type {SVGElement} */ (fill(document.createElementNS(SVG_NS, tag), props, children));
}

/**
 * Replaces an element's children; like h(), it leaves out null, undefined and false and flattens arrays.
 * @param {Element} element
 * @param {...unknown} children
 */
export function replace(element, ...children) {
  element.replaceChildren();
  fill(element, {}, children);
}

/** @param {HTMLElement} element @param {unknown} error undefined hides it */
export function showProblem(element, error) {
  if (error === undefined || error === null) {
    element.hidden = true;
    element.textContent = '';
    return;
  }
  if (error instanceof DOMException && error.name === 'AbortError') return;
  const detail = error instanceof Error ? error.message : String(error);
  const status = typeof error === 'object' && 'status' in error && error.status ? ` (${error.status})` : '';
  element.textContent = `${detail}${status}`;
  element.hidden = false;
}

export const isAbort = (error) => error instanceof DOMException && error.name === 'AbortError';

/** @param {number | null | undefined} value @param {number} [digits] */
export function num(value, digits = 2) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '–';
  return value.toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** @param {number | null | undefined} value in [0, 1] */
export function percent(value, digits = 1) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '–';
  return `${(value * 100).toFixed(digits)} %`;
}

/** @param {string | undefined} iso */
export function when(iso) {
  if (!iso) return '–';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime()) || date.getTime() === 0) return '–';
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A definition list from [label, value] rows; rows with an undefined value are left out. */
export function facts(rows) {
  return h(
    'dl',
    { class: 'facts' },
    rows
      .filter(([, value]) => value !== undefined)
      .map(([label, value]) => [h('dt', { text: label }), h('dd', {}, value)]),
  );
}
