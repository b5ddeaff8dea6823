// The card's two protocols, each with the trained model's figures beside faceapi-baseline's:
//  (a) unseenPeople: people the model never trained on, one-shot (one reference photo per person);
//  (b) heldOutPhotos: the model's own people, photos held out of training and of the gallery, against
//      a gallery of their training photos (the same gallery for both models).
import {
  compareMetric,
  type Figure,
  type MetricName,
  type ProtocolResult,
} from '@faceshot/core/contracts/model-card';
import {
  type HeldOutFigures,
  heldOutFigures,
  type Labelled,
  meanAndSd,
  type UnseenPeopleFigures,
  unseenPeopleFigures,
} from '@faceshot/vision/evaluation/recognition-metrics';

/** Fewer people than this behind a figure: the card says so. */
export const MIN_PEOPLE = 5;

type Embeddings = ReadonlyMap<string, readonly (readonly number[])[]>;

const finiteOrNull = (value: number) => (Number.isFinite(value) ? value : null);

/** One figure per fold → mean ± sd (a single fold: just the value). */
function figureOf(values: readonly number[]): Figure {
  if (values.length === 1) return { value: finiteOrNull(values[0] ?? Number.NaN) };
  const { mean, sd } = meanAndSd(values);
  return { value: finiteOrNull(mean), sd: Number.isFinite(sd) ? sd : 0, folds: values.map(finiteOrNull) };
}

const UNSEEN_METRICS: [
  MetricName,
  (figures: UnseenPeopleFigures) => number,
  (ways: string, far: number) => string,
][] = [
  ['oneShotAllWay', (f) => f.oneShotAllWay, (ways) => `One-shot ${ways}-way identification`],
  ['oneShot5Way', (f) => f.oneShot5Way, () => 'One-shot 5-way identification'],
  ['tarAtFar', (f) => f.tarAtFar, (_, far) => `Open-set TAR at FAR ${formatShare(far)}`],
  ['auc', (f) => f.auc, () => 'Verification ROC AUC'],
];

export function formatShare(share: number): string {
  return `${Number((share * 100).toPrecision(3))}%`;
}

/** Protocol (a) measured on each fold's unseen people (one fold: a single identity split). */
export function unseenPeopleProtocol(
  folds: readonly { trained: Embeddings; baseline: Embeddings }[],
  targetFar: number,
  seed: number,
): { protocol: ProtocolResult; trained: UnseenPeopleFigures[]; baseline: UnseenPeopleFigures[] } {
  const trained = folds.map((fold) => unseenPeopleFigures(fold.trained, { targetFar, seed }));
  const baseline = folds.map((fold) => unseenPeopleFigures(fold.baseline, { targetFar, seed }));
  const people = trained.map((figures) => figures.people);
  const fewest = people.length === 0 ? 0 : Math.min(...people);
  const ways = trained.map((figures) => figures.allWays);
  const waysText =
    Math.min(...ways) === Math.max(...ways)
      ? String(ways[0] ?? 0)
      : `${Math.min(...ways)}–${Math.max(...ways)}`;
  const protocol: ProtocolResult = {
    protocol: 'unseenPeople',
    description:
      folds.length > 1
        ? `${folds.length}-fold cross-validation over identities: each fold's people were never trained on by that fold's model; ` +
          'one reference photo per person; figures are mean ± sd over folds'
        : 'people the model never trained on (the test split); one reference photo per person',
    people: fewest,
    probes: trained.reduce((sum, figures) => sum + figures.photos, 0),
    missed: 0,
    galleryPhotos: 0,
    folds: folds.length,
    ...(fewest < MIN_PEOPLE
      ? {
          warning: `only ${fewest} people ${folds.length > 1 ? 'in the smallest fold' : 'in the test split'}: fewer than ${MIN_PEOPLE}, read these figures with care`,
        }
      : {}),
    metrics: UNSEEN_METRICS.map(([metric, pick, label]) =>
      compareMetric(
        metric,
        label(waysText, targetFar),
        figureOf(trained.map(pick)),
        figureOf(baseline.map(pick)),
      ),
    ),
  };
  return { protocol, trained, baseline };
}

/** Protocol (b): the same gallery and probes for both models. */
export function heldOutPhotosProtocol(
  trained: { gallery: Labelled[]; probes: Labelled[] },
  baseline: { gallery: Labelled[]; probes: Labelled[] },
  missed: number,
  targetFar: number,
): { protocol: ProtocolResult; trained: HeldOutFigures; baseline: HeldOutFigures } {
  const ours = heldOutFigures(trained.gallery, trained.probes, missed, targetFar);
  const theirs = heldOutFigures(baseline.gallery, baseline.probes, missed, targetFar);
  const protocol: ProtocolResult = {
    protocol: 'heldOutPhotos',
    description:
      `the model's own ${ours.people} people: ${ours.probes + missed} photos held out of training and of the gallery ` +
      `against a gallery of their ${ours.galleryPhotos} training photos (the same gallery for both models); ` +
      'photos without a usable face count as errors',
    people: ours.people,
    probes: ours.probes,
    missed,
    galleryPhotos: ours.galleryPhotos,
    folds: 1,
    ...(ours.people < MIN_PEOPLE
      ? { warning: `only ${ours.people} people: fewer than ${MIN_PEOPLE}, read these figures with care` }
      : {}),
    metrics: [
      compareMetric(
        'top1',
        `Top-1 identification, ${ours.people}-way`,
        { value: finiteOrNull(ours.top1) },
        { value: finiteOrNull(theirs.top1) },
      ),
      compareMetric(
        'tarAtFar',
        `TAR at FAR ${formatShare(targetFar)} (each probe also a stranger to the others)`,
        { value: finiteOrNull(ours.tarAtFar) },
        { value: finiteOrNull(theirs.tarAtFar) },
      ),
    ],
  };
  return { protocol, trained: ours, baseline: theirs };
}

/** No metric below the baseline and at least one above. */
export function beatsBaselineOverall(protocols: readonly ProtocolResult[]): boolean {
  const differences = protocols.flatMap((protocol) =>
    protocol.metrics.flatMap((metric) => (metric.difference === null ? [] : [metric.difference])),
  );
  return differences.length > 0 && differences.every((d) => d >= 0) && differences.some((d) => d > 0);
}
