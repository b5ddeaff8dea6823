// Models: every model with its status; a model's card (metrics, threshold, data, timings) with its ROC
// curve when the card holds one (`card.roc`: [{fpr, tpr}]), else the loss per epoch of its training.
import { getJson, segment } from './api.js';
import { areaUnder, dataTable, lineChart, rocPoints } from './chart.js';
import { facts, h, num, percent, replace, showProblem, when } from './dom.js';
import { BASELINE_MODEL, byId, chooseModel, state } from './state.js';

/** How to show each metric the trainer writes; others are shown as they are. */
const METRICS = {
  testAuc: ['ROC AUC (test people)', (value) => num(value, 3)],
  testAccuracy: ['Accuracy at the threshold (test)', percent],
  validationAccuracy: ['Accuracy at the threshold (validation)', percent],
  oneShot5Way: ['One-shot 5-way identification', percent],
  oneShotAllWay: ['One-shot all-way identification', percent],
  oneShotAllWays: ['People in the all-way trials', (value) => num(value, 0)],
  oneShotTrials: ['One-shot trials', (value) => num(value, 0)],
};

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
      (low, row) =>
        Number.isFinite(row.valLoss) && (low === undefined || row.valLoss < low.valLoss) ? row : low,
      undefined,
    );
    parts.push(
      lineChart({
        title: 'Loss per epoch',
        description: `Contrastive loss on the training and validation pairs over ${epochs.length} epochs${best ? `; the lowest validation loss, ${num(best.valLoss, 4)}, was at epoch ${best.epoch}` : ''}.`,
        xLabel: 'Epoch',
        yLabel: 'Loss',
        series,
        integerX: true,
        xFormat: (value) => String(value),
        yFormat: (value) => num(value, 3),
      }),
      dataTable(
        'Loss per epoch',
        ['Epoch', 'Training loss', 'Validation loss', 'Validation accuracy', 'Seconds'],
        epochs.map((row) => [
          row.epoch,
          num(row.loss, 4),
          num(row.valLoss, 4),
          percent(row.valAccuracy),
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
        facts([
          ['Architecture', model.architecture],
          ['Dataset', model.datasetId || undefined],
          ['Created', id === BASELINE_MODEL ? 'built in' : when(model.createdAt)],
          ['Distance threshold', card.threshold === undefined ? undefined : num(card.threshold, 4)],
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
            card.split
              ? ['train', 'validation', 'test']
                  .map((key) => `${card.split[key]?.length ?? 0} ${key}`)
                  .join(' · ')
              : undefined,
          ],
          [
            'Training',
            card.timings
              ? `${num(card.timings.epochs, 0)} epochs in ${num(card.timings.totalSeconds, 0)} s (${num(card.timings.trainPairsPerSecond, 0)} pairs/s)`
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
