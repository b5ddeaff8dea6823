// Line charts as inline SVG (ROC curves, loss per epoch): axes with round ticks, one polyline per
// series, a legend, a title and description for screen readers, and the numbers as a table beside it.
import { h, num, s } from './dom.js';

const WIDTH = 520;
const HEIGHT = 340;
const MARGIN = { top: 16, right: 18, bottom: 48, left: 58 };
let chartCount = 0;

/**
 * Round tick values covering [min, max]: steps of 1, 2 or 5 × 10^k.
 * @param {number} min @param {number} max @param {number} [count]
 */
export function ticks(min, max, count = 5) {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= raw) ?? raw;
  const values = [];
  for (let value = Math.ceil(min / step - 1e-9) * step; value <= max + step * 1e-9; value += step) {
    values.push(Number(value.toFixed(10)));
  }
  return values;
}

/**
 * @typedef {{ name: string, points: { x: number, y: number }[], className: string }} Series
 * @typedef {{
 *   title: string, description: string, xLabel: string, yLabel: string, series: Series[],
 *   x?: [number, number], y?: [number, number], diagonal?: boolean, xFormat?: (v: number) => string,
 *   yFormat?: (v: number) => string, integerX?: boolean,
 * }} ChartOptions
 */

/** @param {ChartOptions} options @returns {HTMLElement} a figure holding the SVG */
export function lineChart(options) {
  chartCount += 1;
  const id = `chart-${chartCount}`;
  const all = options.series.flatMap((series) => series.points);
  const extent = (key) => {
    const values = all.map((point) => point[key]).filter(Number.isFinite);
    if (values.length === 0) return [0, 1];
    const low = Math.min(...values);
    const high = Math.max(...values);
    return low === high ? [low - 0.5, high + 0.5] : [low, high];
  };
  const [x0, x1] = options.x ?? extent('x');
  const [y0raw, y1raw] = options.y ?? extent('y');
  // Loss curves read better from zero when they are all positive.
  const y0 = options.y ? y0raw : Math.min(0, y0raw);
  const y1 = options.y ? y1raw : y1raw + (y1raw - y0) * 0.05;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const px = (x) => MARGIN.left + ((x - x0) / (x1 - x0 || 1)) * plotWidth;
  const py = (y) => MARGIN.top + plotHeight - ((y - y0) / (y1 - y0 || 1)) * plotHeight;
  const xFormat = options.xFormat ?? ((value) => num(value, 2));
  const yFormat = options.yFormat ?? ((value) => num(value, 2));

  const grid = [];
  const xTicks = ticks(x0, x1, 6).filter((value) => !options.integerX || Number.isInteger(value));
  for (const value of xTicks) {
    grid.push(
      s('line', { class: 'grid', x1: px(value), x2: px(value), y1: MARGIN.top, y2: MARGIN.top + plotHeight }),
      s(
        'text',
        { class: 'tick', x: px(value), y: MARGIN.top + plotHeight + 18, 'text-anchor': 'middle' },
        xFormat(value),
      ),
    );
  }
  for (const value of ticks(y0, y1, 5)) {
    grid.push(
      s('line', {
        class: 'grid',
        x1: MARGIN.left,
        x2: MARGIN.left + plotWidth,
        y1: py(value),
        y2: py(value),
      }),
      s(
        'text',
        { class: 'tick', x: MARGIN.left - 8, y: py(value) + 4, 'text-anchor': 'end' },
        yFormat(value),
      ),
    );
  }

  const lines = options.series.map((series) => {
    const points = series.points
      .filter((point) => Number.isFinite(point.x) && Number.isFinite(point.y))
      .map((point) => `${px(point.x).toFixed(1)},${py(point.y).toFixed(1)}`)
      .join(' ');
    return s('polyline', { class: `series ${series.className}`, points, fill: 'none' });
  });
  const markers = options.series.flatMap((series) =>
    series.points.length <= 60
      ? series.points
          .filter((point) => Number.isFinite(point.x) && Number.isFinite(point.y))
          .map((point) =>
            s('circle', { class: `marker ${series.className}`, cx: px(point.x), cy: py(point.y), r: 2.5 }),
          )
      : [],
  );
  const diagonal = options.diagonal
    ? s('line', { class: 'chance', x1: px(x0), y1: py(y0), x2: px(x1), y2: py(y1) })
    : null;

  const svg = s(
    'svg',
    {
      class: 'chart',
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      role: 'img',
      'aria-labelledby': `${id}-title ${id}-desc`,
      preserveAspectRatio: 'xMidYMid meet',
    },
    s('title', { id: `${id}-title` }, options.title),
    s('desc', { id: `${id}-desc` }, options.description),
    grid,
    s('rect', {
      class: 'frame',
      x: MARGIN.left,
      y: MARGIN.top,
      width: plotWidth,
      height: plotHeight,
      fill: 'none',
    }),
    diagonal,
    lines,
    markers,
    s(
      'text',
      { class: 'axis-label', x: MARGIN.left + plotWidth / 2, y: HEIGHT - 8, 'text-anchor': 'middle' },
      options.xLabel,
    ),
    s(
      'text',
      {
        class: 'axis-label',
        x: -(MARGIN.top + plotHeight / 2),
        y: 16,
        transform: 'rotate(-90)',
        'text-anchor': 'middle',
      },
      options.yLabel,
    ),
  );

  const legend = h(
    'ul',
    { class: 'legend', 'aria-hidden': 'true' },
    options.series.map((series) =>
      h('li', {}, h('span', { class: `swatch ${series.className}` }), series.name),
    ),
    options.diagonal ? h('li', {}, h('span', { class: 'swatch chance' }), 'chance') : null,
  );
  return h('figure', { class: 'chart-figure' }, svg, legend, h('figcaption', { text: options.title }));
}

/**
 * The chart's numbers as a table, folded away (for screen readers and for copying).
 * @param {string} summary @param {string[]} headings @param {(string | number)[][]} rows
 */
export function dataTable(summary, headings, rows) {
  return h(
    'details',
    { class: 'data-table' },
    h('summary', { text: summary }),
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            headings.map((text) => h('th', { scope: 'col', text })),
          ),
        ),
        h(
          'tbody',
          {},
          rows.map((row) =>
            h(
              'tr',
              {},
              row.map((cell) => h('td', { text: String(cell) })),
            ),
          ),
        ),
      ),
    ),
  );
}

/**
 * ROC points from a card: [{fpr, tpr}] or {fpr: [], tpr: []}; sorted, with (0,0) and (1,1).
 * @param {unknown} roc
 * @returns {{ x: number, y: number }[] | undefined}
 */
export function rocPoints(roc) {
  /** @type {{ x: number, y: number }[]} */
  let points = [];
  if (Array.isArray(roc)) {
    points = roc
      .filter((point) => point !== null && typeof point === 'object')
      .map((point) => ({ x: Number(point.fpr), y: Number(point.tpr) }));
  } else if (roc !== null && typeof roc === 'object' && Array.isArray(roc.fpr) && Array.isArray(roc.tpr)) {
    points = roc.fpr.map((fpr, index) => ({ x: Number(fpr), y: Number(roc.tpr[index]) }));
  }
  points = points.filter((point) => Number.isFinite(point.x) && Number.isFinite(point.y));
  if (points.length === 0) return undefined;
  points.sort((a, b) => a.x - b.x || a.y - b.y);
  const first = points[0];
  const last = points[points.length - 1];
  if (first && (first.x !== 0 || first.y !== 0)) points.unshift({ x: 0, y: 0 });
  if (last && (last.x !== 1 || last.y !== 1)) points.push({ x: 1, y: 1 });
  return points;
}

/** Area under a curve by trapezoids (the ROC AUC of the plotted points). */
export function areaUnder(points) {
  let area = 0;
  for (let index = 1; index < points.length; index++) {
    const a = points[index - 1];
    const b = points[index];
    if (a && b) area += ((b.x - a.x) * (a.y + b.y)) / 2;
  }
  return area;
}
