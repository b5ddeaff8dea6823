// What `faceshot eval` reports: the JSON document (--out) and the side-by-side table on stdout.
import { IDENTIFICATION_WAYS, type ModelEvaluation } from './eval-metrics.js';

export interface ModelReport extends ModelEvaluation {
  /** The face detector whose faces this model was scored on. */
  detector: string;
  /** Photos with a face / readable photos (the same for every model on one detector's faces). */
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

/** What one detector found in the folder (each photo read and detected once per detector). */
export interface DetectorRun {
  detector: string;
  withFace: number;
  noFace: number;
  /** Not an image, or detection failed on it; left out of the detection rate. */
  unreadable: number;
  /** People with two or more faces: the only ones one-shot identification can use. */
  identitiesWithTwoFaces: number;
  /** Wall time of this detector's extraction (every thread). */
  extractionSeconds: number;
  noFacePhotos: string[];
  unreadablePhotos: { photo: string; reason: string }[];
}

export interface EvalReport {
  dir: string;
  createdAt: string;
  seed: number;
  /** The false-accept rate TAR is measured at. */
  targetFar: number;
  /** People of the folder left out of protocol (a) because an evaluated model trained on them. */
  trainedPeopleLeftOut: number;
  /** The TensorFlow.js backend face detection ran on (wasm here; tensorflow where tfjs-node loads). */
  backend: string | undefined;
  photos: {
    /** Files under <dir>/<identity>/. */
    total: number;
    identities: number;
  };
  /** One per --detector, in the order given. */
  detectors: DetectorRun[];
  /** Every model on every detector's faces: detector-major, models in the order given. */
  models: ModelReport[];
  seconds: { extraction: number; evaluation: number };
}

/** A table row: its label and how to fill one model's cell. */
type Row = [string, (model: ModelReport) => string];

const number = (value: number | null, digits = 3) => (value === null ? '-' : value.toFixed(digits));
const formatRate = (rate: number) => `${Number((rate * 100).toPrecision(3))}%`;

/** One line per detector: who protocol (a) and (b) measured on that detector's faces. */
function protocolLine(report: EvalReport, run: DetectorRun): string {
  const first = report.models.find((model) => model.detector === run.detector);
  const unseenPeople = first?.protocols.unseenPeople.people ?? 0;
  const heldOut = first?.protocols.heldOutPhotos ?? null;
  const leftOut =
    report.trainedPeopleLeftOut > 0
      ? ` (${report.trainedPeopleLeftOut} left out: an evaluated model trained on them)`
      : '';
  const held = heldOut
    ? `${heldOut.probes + heldOut.missed} photos of ${heldOut.people} people (${heldOut.source}; ` +
      `${heldOut.missed} without a face count as errors) against their ${heldOut.galleryPhotos} other photos`
    : 'none';
  const few = unseenPeople > 0 && unseenPeople < 5 ? ' — fewer than 5 unseen people: read (a) with care' : '';
  return `  ${run.detector}: (a) unseen people: ${unseenPeople}${leftOut}; (b) held-out photos: ${held}${few}`;
}

export function formatTable(report: EvalReport): string {
  const { photos, models } = report;
  const severalDetectors = report.detectors.length > 1;
  const columnOf = (model: ModelReport) =>
    // An ONNX model's run is named after the model itself: no need to say it twice.
    severalDetectors && model.model !== model.detector ? `${model.model} · ${model.detector}` : model.model;
  const allWays = (model: ModelReport) =>
    model.identification.find((entry) => entry.asked === 'all')?.ways ?? 0;
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
      '(b) top-1, held-out photos',
      (model) => {
        const heldOut = model.protocols.heldOutPhotos;
        return heldOut === null
          ? '-'
          : `${number(heldOut.top1)} (${heldOut.probes + heldOut.missed} of ${heldOut.people})`;
      },
    ],
    [
      `(b) TAR at FAR ${formatRate(report.targetFar)}, held-out photos`,
      (model) => number(model.protocols.heldOutPhotos?.tarAtFar ?? null),
    ],
    ...IDENTIFICATION_WAYS.map(
      (asked): Row => [
        asked === 'all' ? '(a) one-shot all-way' : `(a) one-shot ${asked}-way`,
        (model) => {
          const accuracy = number(
            model.identification.find((entry) => entry.asked === asked)?.accuracy ?? null,
          );
          return asked === 'all' ? `${accuracy} (${allWays(model)})` : accuracy;
        },
      ],
    ),
  ];
  const labelWidth = Math.max(...rows.map(([label]) => label.length));
  const widths = models.map((model) =>
    Math.max(columnOf(model).length, ...rows.map(([, cell]) => cell(model).length)),
  );
  const line = (label: string, cells: string[]) =>
    `${label.padEnd(labelWidth)}  ${cells.map((cell, index) => cell.padStart(widths[index] ?? 0)).join('  ')}`.trimEnd();
  const perPhoto = (run: DetectorRun) =>
    ((run.extractionSeconds * 1000) / Math.max(1, photos.total)).toFixed(0);
  return [
    `${photos.total} photos of ${photos.identities} people in ${report.dir} (${report.backend ?? 'unknown'} backend):`,
    ...report.detectors.map(
      (run) =>
        `  ${run.detector}: ${run.withFace} with a face, ${run.noFace} without, ${run.unreadable} unreadable; ` +
        `${run.identitiesWithTwoFaces} people with 2+ faces; ${run.extractionSeconds.toFixed(1)} s (${perPhoto(run)} ms a photo, all threads)`,
    ),
    ...report.detectors.map((run) => protocolLine(report, run)),
    '',
    line('', models.map(columnOf)),
    ...rows.map(([label, cell]) => line(label, models.map(cell))),
    '',
  ].join('\n');
}
