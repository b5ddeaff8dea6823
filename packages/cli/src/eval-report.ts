// What `faceshot eval` reports: the JSON document (--out) and the side-by-side table on stdout.
import { IDENTIFICATION_WAYS, type ModelEvaluation } from './eval-metrics.js';

export interface ModelReport extends ModelEvaluation {
  /** Photos with a face / readable photos (the same for every model: faces are found once). */
  faceDetectionRate: number | null;
  protocols: {
    /** (a): the verification and identification figures above are on these people. */
    unseenPeople: { people: number; tarAtFar: number | null };
    /** (b): held-out photos against the rest of their people's photos; null without photos to hold out. */
    heldOutPhotos: {
      people: number;
      probes: number;
      missed: number;
      galleryPhotos: number;
      top1: number | null;
      tarAtFar: number | null;
      source: 'model cards' | 'seeded choice';
    } | null;
  };
}

export interface EvalReport {
  dir: string;
  createdAt: string;
  seed: number;
  /** The false-accept rate TAR is measured at. */
  targetFar: number;
  /** People of the folder left out of protocol (a) because an evaluated model trained on them. */
  trainedPeopleLeftOut: number;
  detector: string;
  /** The TensorFlow.js backend face detection ran on (wasm here; tensorflow where tfjs-node loads). */
  backend: string | undefined;
  photos: {
    /** Files under <dir>/<identity>/. */
    total: number;
    withFace: number;
    noFace: number;
    /** Not an image, or detection failed on it; left out of the detection rate. */
    unreadable: number;
    identities: number;
    /** People with two or more faces: the only ones one-shot identification can use. */
    identitiesWithTwoFaces: number;
  };
  models: ModelReport[];
  noFace: string[];
  unreadable: { photo: string; reason: string }[];
  seconds: { extraction: number; evaluation: number };
}

/** A table row: its label and how to fill one model's cell. */
type Row = [string, (model: ModelReport) => string];

const number = (value: number | null, digits = 3) => (value === null ? '-' : value.toFixed(digits));
const formatRate = (rate: number) => `${Number((rate * 100).toPrecision(3))}%`;

export function formatTable(report: EvalReport): string {
  const { photos, models } = report;
  const allWays = models[0]?.identification.find((entry) => entry.asked === 'all')?.ways ?? 0;
  const heldOut = models[0]?.protocols.heldOutPhotos ?? null;
  const unseenPeople = models[0]?.protocols.unseenPeople.people ?? 0;
  const rows: Row[] = [
    ['face-detection rate', (model) => number(model.faceDetectionRate)],
    ['threshold', (model) => number(model.threshold)],
    [
      'same / different pairs',
      (model) => `${model.verification.samePairs} / ${model.verification.differentPairs}`,
    ],
    ['(a) ROC AUC', (model) => number(model.verification.rocAuc)],
    ['accuracy at threshold', (model) => number(model.verification.accuracyAtThreshold)],
    ['EER', (model) => number(model.verification.equalErrorRate)],
    [
      'best accuracy (threshold)',
      (model) =>
        `${number(model.verification.bestAccuracy)} (${number(model.verification.bestThreshold, 2)})`,
    ],
    [
      `(a) open-set TAR at FAR ${formatRate(report.targetFar)}`,
      (model) => number(model.protocols.unseenPeople.tarAtFar),
    ],
    [
      `(b) top-1, held-out photos${heldOut ? ` (${heldOut.probes + heldOut.missed} of ${heldOut.people} people)` : ''}`,
      (model) => number(model.protocols.heldOutPhotos?.top1 ?? null),
    ],
    [
      `(b) TAR at FAR ${formatRate(report.targetFar)}, held-out photos`,
      (model) => number(model.protocols.heldOutPhotos?.tarAtFar ?? null),
    ],
    ...IDENTIFICATION_WAYS.map(
      (asked): Row => [
        asked === 'all' ? `(a) one-shot all-way (${allWays})` : `(a) one-shot ${asked}-way`,
        (model) => number(model.identification.find((entry) => entry.asked === asked)?.accuracy ?? null),
      ],
    ),
  ];
  const labelWidth = Math.max(...rows.map(([label]) => label.length));
  const widths = models.map((model) =>
    Math.max(model.model.length, ...rows.map(([, cell]) => cell(model).length)),
  );
  const line = (label: string, cells: string[]) =>
    `${label.padEnd(labelWidth)}  ${cells.map((cell, index) => cell.padStart(widths[index] ?? 0)).join('  ')}`.trimEnd();
  return [
    `${photos.total} photos of ${photos.identities} people in ${report.dir}: ${photos.withFace} with a face, ` +
      `${photos.noFace} without, ${photos.unreadable} unreadable (detector ${report.detector}, ${report.backend ?? 'unknown'} backend); ` +
      `${photos.identitiesWithTwoFaces} people with 2+ faces`,
    `(a) unseen people: ${unseenPeople}${report.trainedPeopleLeftOut > 0 ? ` (${report.trainedPeopleLeftOut} left out: an evaluated model trained on them)` : ''}; ` +
      `(b) held-out photos: ${heldOut ? `${heldOut.probes + heldOut.missed} photos of ${heldOut.people} people (${heldOut.source}; ${heldOut.missed} without a face count as errors) against their ${heldOut.galleryPhotos} other photos` : 'none'}` +
      `${unseenPeople > 0 && unseenPeople < 5 ? ' — fewer than 5 unseen people: read (a) with care' : ''}`,
    '',
    line(
      '',
      models.map((model) => model.model),
    ),
    ...rows.map(([label, cell]) => line(label, models.map(cell))),
    '',
  ].join('\n');
}
