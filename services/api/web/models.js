// Models: every model with its status; a model's card: how it compares with faceapi-baseline on both
// protocols (said plainly when it does not beat it), metrics, threshold, data, timings, and its ROC
// curve when the card holds one (`card.roc`: [{fpr, tpr}]), else the loss per epoch of its training.
// The card's shape is the API's card schema (packages/core/src/datasets/model-card.ts).
import { getJson, segment } from './api.js';
import { areaUnder, dataTable, lineChart, rocPoints } from './chart.js';
import { facts, h, num, percent, replace, showProblem, when } from './dom.js';
import { BASELINE_MODEL, byId, chooseModel, state } from './state.js';

/** How to show each metric the trainer writes; others are shown as they are. */
const METRICS = {
  testAuc: ['ROC AUC (test people)', (value) => num(value, 3)],
  testTarAtFar: ['Open-set TAR at the target FAR (unseen people)', percent],
  oneShot5Way: ['One-shot 5-way identification', percent],
  oneShotAllWay: ['One-shot all-way identification', percent],
  heldOutTop1: ['Top-1 on held-out photos of its own people', percent],
  heldOutTarAtFar: ['TAR at the target FAR on held-out photos', percent],
  unseenPeople: ['Unseen people measured', (value) => num(value, 0)],
  heldOutPeople: ['Own people measured', (value) => num(value, 0)],
};

const PROTOCOL_TITLES = {
  unseenPeople: '(a) People it never trained on',
  heldOutPhotos: '(b) Its own people, photos held out of training and of the gallery',
};

/** A figure: the value, or mean ± sd over folds. */
// Fixed three decimals, so trained and baseline figures line up digit for digit in the table.
const fixed3 = (value) =>
  value.toLocaleString(undefined, { minimumFractionDigits: 3, maximumFractionDigits: 3 });

function figure(value) {
  if (!value || typeof value.value !== 'number' || !Number.isFinite(value.value)) return '–';
  return typeof value.sd === 'number' ? `${fixed3(value.value)} ± ${fixed3(value.sd)}` : fixed3(value.value);
}

function better(difference) {
  if (typeof difference !== 'number') return 'not measurable';
  if (difference > 0) return 'trained';
  if (difference < 0) return 'baseline';
  return 'equal';
}

/** Per protocol: both models' figures side by side, which is better, and the verdict in words. */
function comparison(card) {
  const protocols = card.protocols;
  if (!protocols || typeof protocols !== 'object') return [];
  const worse = [];
  const sections = Object.values(protocols).map((protocol) => {
    for (const metric of protocol.metrics ?? []) if (metric.difference < 0) worse.push(metric.label);
    return h(
      'section',
      { class: 'protocol', 'data-protocol': protocol.protocol },
      h('h4', { text: PROTOCOL_TITLES[protocol.protocol] ?? protocol.protocol }),
      h('p', { class: 'subtle', text: protocol.description }),
      protocol.warning ? h('p', { class: 'note', text: `Note: ${protocol.warning}` }) : null,
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'comparison' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Metric', 'Trained', 'faceapi-baseline', 'Better'].map((text) =>
                h('th', { scope: 'col', text }),
              ),
            ),
          ),
          h(
            'tbody',
            {},
            (protocol.metrics ?? []).map((metric) =>
              h(
                'tr',
                { class: metric.beatsBaseline ? 'wins' : metric.difference < 0 ? 'loses' : undefined },
                h('th', { scope: 'row', text: metric.label }),
                h('td', { class: 'numeric', text: figure(metric.trained) }),
                h('td', { class: 'numeric', text: figure(metric.baseline) }),
                h('td', { text: better(metric.difference) }),
              ),
            ),
          ),
        ),
      ),
    );
  });
  const verdict = card.beatsBaseline
    ? 'This model beats faceapi-baseline: better or equal on every figure below, better on at least one.'
    : worse.length > 0
      ? `This model does NOT beat faceapi-baseline: it is worse on ${worse.join('; ')}.`
      : 'This model does NOT beat faceapi-baseline: no figure below is better.';
  return [
    h('h3', { text: 'Against faceapi-baseline' }),
    h('p', { class: card.beatsBaseline ? 'verdict wins' : 'verdict loses', role: 'status', text: verdict }),
    ...sections,
  ];
}

/** @param {Record<string, unknown>} metrics */
function metricRows(metrics) {
  return Object.entries(metrics).map(([key, value]) => {
    const known = METRICS[key];
    const shown =
      typeof value === 'number' ? (known ? known[1](value) : num(value, 4)) : String(value ?? '–');
    return [known ? known[0] : key, shown];
  });
}

/** The ROC plot when the card has points, else the loss per epoch, else a note saying why neither. */
function curves(card) {
  const roc = rocPoints(card.roc);
  const history = Array.isArray(card.history) ? card.history : [];
  const parts = [];
  if (roc !== undefined) {
    const auc = areaUnder(roc);
    parts.push(
      lineChart({
        title: `ROC curve (AUC ${num(auc, 3)})`,
        description: `True positive rate against false positive rate over ${roc.length} thresholds; the area under the curve is ${num(auc, 3)}.`,
        xLabel: 'False positive rate',
        yLabel: 'True positive rate',
        series: [{ name: 'ROC (test pairs)', points: roc, className: 's1' }],
        x: [0, 1],
        y: [0, 1],
        diagonal: true,
      }),
      dataTable(
        'ROC points',
        ['False positive rate', 'True positive rate'],
        roc.map((point) => [num(point.x, 4), num(point.y, 4)]),
      ),
    );
  } else {
    parts.push(
      h('p', {
        class: 'note',
        text:
          history.length > 0
            ? 'This card holds no ROC points; its test ROC AUC is in the metrics. Below: the loss per epoch of its training.'
            : 'This card holds no ROC points and no training history.',
      }),
    );
  }
  if (history.length > 0) {
    const epochs = history.map((row, index) => ({ ...row, epoch: Number(row.epoch ?? index + 1) }));
    const series = [
      { name: 'training loss', key: 'loss', className: 's1' },
      { name: 'validation loss', key: 'valLoss', className: 's2' },
    ]
      .filter((entry) => epochs.some((row) => Number.isFinite(row[entry.key])))
      .map((entry) => ({
        name: entry.name,
        className: entry.className,
        points: epochs.map((row) => ({ x: row.epoch, y: Number(row[entry.key]) })),
      }));
    const best = epochs.reduce(
      (high, row) =>
        Number.isFinite(row.valScore) && (high === undefined || row.valScore > high.valScore) ? row : high,
      undefined,
    );
    parts.push(
      lineChart({
        title: 'Loss per epoch',
        description: `Training loss over ${epochs.length} epochs${best ? `; the best validation recognition score, ${num(best.valScore, 3)}, was at epoch ${best.epoch}` : ''}.`,
        xLabel: 'Epoch',
        yLabel: 'Loss',
        series,
        integerX: true,
        xFormat: (value) => String(value),
        yFormat: (value) => num(value, 3),
      }),
      dataTable(
        'Loss per epoch',
        [
          'Epoch',
          'Fold',
          'Training loss',
          'Validation loss',
          'Validation one-shot all-way',
          'Validation TAR at FAR',
          'Seconds',
        ],
        epochs.map((row) => [
          row.epoch,
          row.fold === undefined ? '–' : row.fold === 0 ? 'refit' : String(row.fold),
          num(row.loss, 4),
          Number.isFinite(row.valLoss) ? num(row.valLoss, 4) : '–',
          Number.isFinite(row.valOneShotAllWay) ? percent(row.valOneShotAllWay) : '–',
          Number.isFinite(row.valTarAtFar) ? percent(row.valTarAtFar) : '–',
          num(row.seconds, 1),
        ]),
      ),
    );
  }
  return parts;
}

export function initModels({ onModelsLoaded }) {
  const list = byId('models-list');
  const detail = byId('model-detail');
  const problem = byId('models-problem');
  /** @type {string | undefined} */
  let openId;

  async function loadList() {
    showProblem(problem);
    list.setAttribute('aria-busy', 'true');
    try {
      const answer = await getJson('/v1/models');
      const models = answer.models ?? [];
      onModelsLoaded(models);
      list.replaceChildren(
        ...models.map((model) =>
          h(
            'li',
            {},
            h(
              'button',
              {
                type: 'button',
                class: 'pick',
                'data-id': model.id,
                'aria-current': model.id === openId ? 'true' : undefined,
                onClick: () => void open(model.id),
              },
              h('span', { class: 'pick-title', text: model.id }),
              h(
                'span',
                { class: 'subtle' },
                h('span', { class: `badge ${model.status}`, text: model.status }),
                ` ${model.architecture} · ${model.galleryIdentities} in gallery`,
              ),
            ),
          ),
        ),
      );
      if (openId === undefined && !byId('view-models').hidden) void open(state.modelId);
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
      if (!(button instanceof HTMLElement)) continue;
      if (button.dataset.id === id) button.setAttribute('aria-current', 'true');
      else button.removeAttribute('aria-current');
    }
    showProblem(problem);
    detail.setAttribute('aria-busy', 'true');
    try {
      const model = await getJson(`/v1/models/${segment(id)}`);
      if (openId !== id) return;
      const card = model.card ?? {};
      const ready = model.status === 'ready';
      const use = h('button', {
        type: 'button',
        text: id === state.modelId ? 'In use' : 'Use this model',
        disabled: !ready || id === state.modelId,
        onClick: () => {
          chooseModel(id);
          use.textContent = 'In use';
          use.setAttribute('disabled', '');
        },
      });
      const metrics = card.metrics && typeof card.metrics === 'object' ? metricRows(card.metrics) : [];
      const hyper =
        card.hyperparameters && typeof card.hyperparameters === 'object' ? card.hyperparameters : {};
      const pairs = card.data?.pairs;
      replace(
        detail,
        h(
          'div',
          { class: 'toolbar' },
          h('h2', { text: id }),
          h('span', { class: `badge ${model.status}`, text: model.status }),
          use,
        ),
        card.description ? h('p', { text: card.description }) : null,
        model.failedReason ? h('p', { class: 'problem', text: model.failedReason }) : null,
        model.cardProblem ? h('p', { class: 'problem', text: model.cardProblem }) : null,
        ...comparison(card),
        facts([
          ['Architecture', model.architecture],
          ['Dataset', model.datasetId || undefined],
          ['Created', id === BASELINE_MODEL ? 'built in' : when(model.createdAt)],
          ['Distance threshold', card.threshold === undefined ? undefined : num(card.threshold, 4)],
          [
            'Threshold rule',
            card.thresholdRule
              ? `target FAR ${percent(card.thresholdRule.targetFar)}${typeof card.thresholdRule.measuredFar === 'number' ? `, measured ${percent(card.thresholdRule.measuredFar)} over ${card.thresholdRule.impostorProbes} stranger probes` : ''}; set on ${card.thresholdRule.measuredOn}`
              : undefined,
          ],
          ['People in the gallery', String(model.galleryIdentities ?? 0)],
          ['Backend', card.backend],
          [
            'Pairs',
            pairs
              ? `${pairs.train} training · ${pairs.validation} validation · ${pairs.test} test`
              : undefined,
          ],
          [
            'People per split',
            card.folds
              ? `${card.split?.train?.length ?? 0}, all trained on; unseen-people figures by ${card.folds.length}-fold cross-validation`
              : card.split
                ? ['train', 'validation', 'test']
                    .map((key) => `${card.split[key]?.length ?? 0} ${key}`)
                    .join(' · ')
                : undefined,
          ],
          [
            'Training',
            card.timings
              ? `${num(card.timings.epochs, 0)} epochs in ${num(card.timings.totalSeconds, 0)} s (${card.timings.trainPairsPerSecond !== undefined ? `${num(card.timings.trainPairsPerSecond, 0)} pairs/s` : `${num(card.timings.trainFacesPerSecond, 0)} faces/s`})`
              : undefined,
          ],
          [
            'Hyperparameters',
            Object.keys(hyper).length > 0
              ? Object.entries(hyper)
                  .map(([key, value]) => `${key} ${value}`)
                  .join(' · ')
              : undefined,
          ],
        ]),
        h('h3', { text: 'Metrics' }),
        metrics.length > 0
          ? facts(metrics)
          : h('p', {
              class: 'subtle',
              text: ready
                ? 'This card has no metrics (a built-in model is not evaluated here).'
                : 'Metrics come once the model is trained.',
            }),
        h('h3', { text: 'Curves' }),
        ...(model.card
          ? curves(card)
          : [h('p', { class: 'subtle', text: 'No card yet: the model is not trained.' })]),
      );
    } catch (error) {
      showProblem(problem, error);
    } finally {
      detail.removeAttribute('aria-busy');
    }
  }

  byId('models-refresh').addEventListener('click', () => {
    void loadList();
    if (openId !== undefined) void open(openId);
  });
  return { show: loadList, reload: loadList };
}
