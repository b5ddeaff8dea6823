import { CurationSchema, FaceRecordSchema } from '@faceshot/core/contracts/face-record';
import type {
  CardThreshold,
  EpochReport,
  ModelCard,
  ProtocolResult,
} from '@faceshot/core/contracts/model-card';
import { PermanentJobError } from '@faceshot/core/queues/permanent-job-error';
import { seededRandom, shuffled } from '@faceshot/core/seeded-random';
import { storageKeys } from '@faceshot/core/storage/keys';
import type { ObjectStore } from '@faceshot/core/storage/object-store';
import { readStoredDocument } from '@faceshot/core/storage/stored-document';
import { type Labelled, openSetIdentification } from '@faceshot/vision/evaluation/recognition-metrics';
import type * as TF from '@tensorflow/tfjs';
import type { PairsMeta } from '../pairs/pairs-stage.js';
import { heldOutPhotosProtocol, unseenPeopleProtocol } from './recognition-protocols.js';
import { embedAll, type FaceTrainingOptions, ownPeopleFigures, trainOnFaces } from './train-faces.js';
import { transferHead } from './transfer-head.js';

type Tf = typeof TF;

/** With fewer test people than this, protocol (a) is measured by cross-validation instead. */
export const SPLIT_MIN_TEST_PEOPLE = 10;

export interface DatasetFaces {
  /** Training faces per person (held-out photos removed). */
  training: Map<string, { faceId: string; descriptor: number[] }[]>;
  /** Held-out faces per person (protocol b's probes). */
  heldOut: Map<string, { faceId: string; descriptor: number[] }[]>;
  /** Held-out photos without a usable face, per person. */
  missed: Map<string, number>;
  /** Values in every descriptor (one engine described them all). */
  descriptorSize: number;
}

/** Kept faces of the dataset with their descriptors, split into training and held-out photos. */
export async function readDatasetFaces(store: ObjectStore, meta: PairsMeta): Promise<DatasetFaces> {
  const curation = await readStoredDocument(store, storageKeys.curation(meta.datasetId), CurationSchema);
  if (curation === undefined) throw new PermanentJobError(`dataset "${meta.datasetId}" has no curation`);
  const held = new Set(Object.values(meta.heldOut ?? {}).flatMap((entry) => entry.faces));
  const faces: DatasetFaces = {
    training: new Map(),
    heldOut: new Map(),
    missed: new Map(),
    descriptorSize: 0,
  };
  for (const [faceId, decision] of Object.entries(curation.faces).sort(([a], [b]) => a.localeCompare(b))) {
    if (decision.status !== 'kept') continue;
    const record = await readStoredDocument(
      store,
      storageKeys.faceRecord(meta.datasetId, decision.identity, faceId),
      FaceRecordSchema,
    );
    const size = record?.descriptor?.length ?? 0;
    if (record?.descriptor === undefined || size === 0)
      throw new PermanentJobError(`face ${decision.identity}/${faceId} has no descriptor record`);
    if (faces.descriptorSize === 0) faces.descriptorSize = size;
    if (size !== faces.descriptorSize)
      throw new PermanentJobError(
        `face ${decision.identity}/${faceId} has ${size} descriptor values, others ${faces.descriptorSize}: the dataset mixes engines (extract it again)`,
      );
    const target = held.has(faceId) ? faces.heldOut : faces.training;
    target.set(decision.identity, [
      ...(target.get(decision.identity) ?? []),
      { faceId, descriptor: record.descriptor },
    ]);
  }
  for (const [identity, entry] of Object.entries(meta.heldOut ?? {}))
    faces.missed.set(identity, entry.missed.length);
  return faces;
}

type ByIdentity = Map<string, number[][]>;

function descriptorsOf(
  faces: DatasetFaces,
  people: readonly string[],
  which: 'training' | 'all',
): ByIdentity {
  const out: ByIdentity = new Map();
  for (const identity of people) {
    const photos = [
      ...(faces.training.get(identity) ?? []),
      ...(which === 'all' ? (faces.heldOut.get(identity) ?? []) : []),
    ].map((face) => face.descriptor);
    if (photos.length > 0) out.set(identity, photos);
  }
  return out;
}

/** People split into k folds, round robin over a seeded order. */
export function identityFolds(people: readonly string[], k: number, seed: number): string[][] {
  const folds: string[][] = Array.from({ length: k }, () => []);
  shuffled([...people].sort(), seededRandom(seed)).forEach((identity, index) => {
    folds[index % k]?.push(identity);
  });
  return folds;
}

/** k for a small dataset: folds of at least 5 people where possible, 2 to 5 folds. */
export function foldCount(people: number): number {
  return Math.max(2, Math.min(5, Math.floor(people / 5)));
}

export interface TransferOutcome {
  model: TF.LayersModel;
  split: { train: string[]; validation: string[]; test: string[] };
  folds?: string[][];
  history: EpochReport[];
  epochs: number;
  bestEpoch: number;
  validation?: ModelCard['validation'];
  threshold: CardThreshold;
  protocols: { unseenPeople: ProtocolResult; heldOutPhotos: ProtocolResult };
  facesPerSecond: number;
  trainingFaces: number;
}

export interface TransferHyperparameters extends FaceTrainingOptions {
  folds: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** A quarter of each person's training photos (one at least, when they have three) for validation. */
function splitValidationPhotos(
  faces: DatasetFaces,
  people: readonly string[],
  seed: number,
): { train: ByIdentity; gallery: Labelled[]; probes: Labelled[] } {
  const random = seededRandom(seed + 104_729);
  const train: ByIdentity = new Map();
  const gallery: Labelled[] = [];
  const probes: Labelled[] = [];
  for (const identity of people) {
    const photos = shuffled(faces.training.get(identity) ?? [], random);
    const count = photos.length >= 3 ? Math.max(1, Math.round(photos.length / 4)) : 0;
    for (const face of photos.slice(0, count)) probes.push({ identity, embedding: face.descriptor });
    const rest = photos.slice(count);
    for (const face of rest) gallery.push({ identity, embedding: face.descriptor });
    if (rest.length > 0)
      train.set(
        identity,
        rest.map((face) => face.descriptor),
      );
  }
  return { train, gallery, probes };
}

/** Validation people for one fold: a fifth of the remaining people (at least 2 when there are 4). */
function splitValidation(people: readonly string[], seed: number): { train: string[]; validation: string[] } {
  const order = shuffled([...people].sort(), seededRandom(seed));
  const count = order.length >= 4 ? Math.max(2, Math.round(order.length * 0.2)) : 0;
  return { validation: order.slice(0, count), train: order.slice(count) };
}

function labelled(faces: DatasetFaces, people: readonly string[], which: 'training' | 'heldOut'): Labelled[] {
  return people.flatMap((identity) =>
    (faces[which].get(identity) ?? []).map((face) => ({ identity, embedding: face.descriptor })),
  );
}

function embedLabelled(tf: Tf, model: TF.LayersModel, entries: readonly Labelled[]): Labelled[] {
  if (entries.length === 0) return [];
  const values = tf.tidy(() =>
    (model.apply(tf.tensor2d(entries.map((entry) => [...entry.embedding]))) as TF.Tensor2D).arraySync(),
  );
  return entries.map((entry, index) => ({ identity: entry.identity, embedding: values[index] ?? [] }));
}

/** The threshold at the target FAR against a gallery of people the model never saw (pooled rounds). */
function thresholdOn(
  embeddings: ByIdentity,
  targetFar: number,
  seed: number,
  measuredOn: string,
): { rule: CardThreshold; value: number } {
  const openSet = openSetIdentification(embeddings, { targetFar, seed, rounds: 10 });
  return {
    value: openSet.threshold,
    rule: {
      distance: openSet.threshold,
      targetFar,
      measuredFar: openSet.measuredFar,
      measuredOn,
      galleryPeople: openSet.galleryPeople,
      impostorProbes: openSet.impostorProbes,
    },
  };
}

export async function trainTransfer(
  tf: Tf,
  meta: PairsMeta,
  faces: DatasetFaces,
  hyper: TransferHyperparameters,
  onEpoch: (report: EpochReport, improved: boolean) => Promise<void>,
): Promise<TransferOutcome> {
  const eligible = (identity: string) => (faces.training.get(identity)?.length ?? 0) >= 2;
  const split = {
    train: meta.splits.train.identities.filter(eligible),
    validation: meta.splits.validation.identities.filter(eligible),
    test: meta.splits.test.identities.filter((identity) => faces.training.has(identity)),
  };
  const everyone = [...split.train, ...split.validation, ...split.test].filter(eligible).sort();
  const useFolds = hyper.folds > 1 || (hyper.folds === 0 && split.test.length < SPLIT_MIN_TEST_PEOPLE);
  const history: EpochReport[] = [];
  const heldOutMissed = (people: readonly string[]) =>
    people.reduce((sum, identity) => sum + (faces.missed.get(identity) ?? 0), 0);

  if (!useFolds) {
    const model = transferHead(tf, faces.descriptorSize);
    const training = await trainOnFaces(
      tf,
      model,
      descriptorsOf(faces, split.train, 'training'),
      descriptorsOf(faces, split.validation, 'all'),
      hyper,
      async (report, improved) => {
        history.push(report);
        await onEpoch(report, improved);
      },
    );
    const test = descriptorsOf(faces, split.test, 'all');
    const unseen = unseenPeopleProtocol(
      [{ trained: embedAll(tf, model, test), baseline: test }],
      hyper.targetFar,
      hyper.seed,
    );
    const heldOut = heldOutPhotosProtocol(
      {
        gallery: embedLabelled(tf, model, labelled(faces, split.train, 'training')),
        probes: embedLabelled(tf, model, labelled(faces, split.train, 'heldOut')),
      },
      { gallery: labelled(faces, split.train, 'training'), probes: labelled(faces, split.train, 'heldOut') },
      heldOutMissed(split.train),
      hyper.targetFar,
    );
    const threshold = thresholdOn(
      embedAll(tf, model, descriptorsOf(faces, split.validation, 'all')),
      hyper.targetFar,
      hyper.seed,
      `the ${split.validation.length} validation people (never trained on): half enrolled from one photo, the other half strangers, 10 rounds`,
    );
    return {
      model,
      split,
      history,
      epochs: training.epochs,
      bestEpoch: training.bestEpoch,
      validation: {
        people: split.validation.length,
        bestEpoch: training.bestEpoch,
        ...(training.start ? { baseline: { ...training.start } } : {}),
        ...(training.best ? { trained: { ...training.best } } : {}),
      },
      threshold: threshold.rule,
      protocols: { unseenPeople: unseen.protocol, heldOutPhotos: heldOut.protocol },
      facesPerSecond: training.facesPerSecond,
      trainingFaces: labelled(faces, split.train, 'training').length,
    };
  }

  // Small dataset: k-fold over identities for protocol (a) and the threshold, then a refit on everyone.
  const k = hyper.folds > 1 ? Math.min(hyper.folds, everyone.length) : foldCount(everyone.length);
  if (everyone.length < 4 || k < 2)
    throw new PermanentJobError(
      `cross-validation needs at least 4 people with 2 training faces; there are ${everyone.length}`,
    );
  const folds = identityFolds(everyone, k, hyper.seed);
  const measured: { trained: ByIdentity; baseline: ByIdentity }[] = [];
  const bestEpochs: number[] = [];
  const thresholds: number[] = [];
  const impostorProbes: number[] = [];
  const measuredFars: number[] = [];
  let facesPerSecond = 0;
  for (const [index, testPeople] of folds.entries()) {
    const rest = everyone.filter((identity) => !testPeople.includes(identity));
    const inner = splitValidation(rest, hyper.seed + index);
    const model = transferHead(tf, faces.descriptorSize);
    const training = await trainOnFaces(
      tf,
      model,
      descriptorsOf(faces, inner.train, 'training'),
      inner.validation.length > 0 ? descriptorsOf(faces, inner.validation, 'all') : undefined,
      hyper,
      async (report, improved) => {
        const tagged = { ...report, fold: index + 1 };
        history.push(tagged);
        await onEpoch(tagged, improved);
      },
    );
    bestEpochs.push(training.bestEpoch);
    facesPerSecond = Math.max(facesPerSecond, training.facesPerSecond);
    const test = descriptorsOf(faces, testPeople, 'all');
    const trained = embedAll(tf, model, test);
    measured.push({ trained, baseline: test });
    const foldThreshold = thresholdOn(trained, hyper.targetFar, hyper.seed, '');
    if (Number.isFinite(foldThreshold.value)) thresholds.push(foldThreshold.value);
    impostorProbes.push(foldThreshold.rule.impostorProbes);
    if (foldThreshold.rule.measuredFar !== null) measuredFars.push(foldThreshold.rule.measuredFar);
    model.dispose();
  }
  const unseen = unseenPeopleProtocol(measured, hyper.targetFar, hyper.seed);

  // The shipped model learns everyone. Early stopping watches validation photos of those people (a
  // quarter of each person's training photos, never protocol b's held-out photos): recognising new
  // photos of one's own people is what this model is for.
  const model = transferHead(tf, faces.descriptorSize);
  const validationPhotos = splitValidationPhotos(faces, everyone, hyper.seed);
  const refit = await trainOnFaces(
    tf,
    model,
    validationPhotos.train,
    (current) =>
      ownPeopleFigures(
        embedLabelled(tf, current, validationPhotos.gallery),
        embedLabelled(tf, current, validationPhotos.probes),
        hyper.targetFar,
      ),
    hyper,
    async (report, improved) => {
      const tagged = { ...report, fold: 0 };
      history.push(tagged);
      await onEpoch(tagged, improved);
    },
  );
  const epochs = refit.epochs;
  facesPerSecond = Math.max(facesPerSecond, refit.facesPerSecond);
  const heldOut = heldOutPhotosProtocol(
    {
      gallery: embedLabelled(tf, model, labelled(faces, everyone, 'training')),
      probes: embedLabelled(tf, model, labelled(faces, everyone, 'heldOut')),
    },
    { gallery: labelled(faces, everyone, 'training'), probes: labelled(faces, everyone, 'heldOut') },
    heldOutMissed(everyone),
    hyper.targetFar,
  );
  const value = thresholds.length > 0 ? median(thresholds) : Number.NaN;
  return {
    model,
    split: { train: everyone, validation: [], test: [] },
    folds,
    history,
    epochs,
    bestEpoch: refit.bestEpoch,
    validation: {
      people: everyone.length,
      bestEpoch: refit.bestEpoch,
      ...(refit.start ? { baseline: { ...refit.start } } : {}),
      ...(refit.best ? { trained: { ...refit.best } } : {}),
      foldBestEpochs: bestEpochs,
      measuredOn: 'validation photos of every person (a quarter of their training photos) against the rest',
    },
    threshold: {
      distance: value,
      targetFar: hyper.targetFar,
      measuredFar: measuredFars.length > 0 ? median(measuredFars) : null,
      measuredOn:
        `the median of ${k} cross-validation folds' thresholds, each set on that fold's unseen people ` +
        '(half enrolled from one photo, the other half strangers, 10 rounds)',
      galleryPeople: Math.min(...folds.map((fold) => Math.ceil(fold.length / 2))),
      impostorProbes: impostorProbes.reduce((sum, count) => sum + count, 0),
    },
    protocols: { unseenPeople: unseen.protocol, heldOutPhotos: heldOut.protocol },
    facesPerSecond,
    trainingFaces: labelled(faces, everyone, 'training').length,
  };
}
