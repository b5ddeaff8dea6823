// The seed architecture's training and measurement: the original network on the pair files (as the
// seed project trained it), early stopping on the validation people's recognition, then the two
// protocols on grey crops: (a) the test people of the identity split, (b) the train people's
// held-out photos against their training photos. faceapi-baseline gets the same faces.
import type { CardThreshold, EpochReport, ProtocolResult } from '@faceshot/core/contracts/model-card';
import { storageKeys } from '@faceshot/core/storage/keys';
import { type ObjectStore, readJsonObject } from '@faceshot/core/storage/object-store';
import { type Labelled, openSetIdentification } from '@faceshot/vision/evaluation/recognition-metrics';
import type * as TF from '@tensorflow/tfjs';
import sharp from 'sharp';
import { npyValues, readNpy } from '../numpy/npy.js';
import type { PairsMeta } from '../pairs/pairs-stage.js';
import { grayBatch } from './gray-batch.js';
import { artifactsToJson, modelArtifacts, modelFromJson } from './model-artifacts.js';
import { heldOutPhotosProtocol, unseenPeopleProtocol } from './recognition-protocols.js';
import { seedBaseNetwork } from './seed-network.js';
import { validationFigures } from './train-faces.js';
import { type Hyperparameters, type PairSet, trainSiamese } from './train-siamese.js';
import type { DatasetFaces } from './transfer-training.js';

type Tf = typeof TF;

const rowsOf = (meta: PairsMeta, split: 'train' | 'validation' | 'test') =>
  Array.from({ length: meta.splits[split].count }, (_, index) => meta.splits[split].start + index);

export interface SeedOutcome {
  model: TF.LayersModel;
  split: { train: string[]; validation: string[]; test: string[] };
  history: EpochReport[];
  epochs: number;
  threshold: CardThreshold;
  protocols: { unseenPeople: ProtocolResult; heldOutPhotos: ProtocolResult };
  pairsPerSecond: number;
  trainingFaces: number;
  /** Protocol (a)'s verification pairs with the trained model, for the ROC curve. */
  testEmbeddings: Map<string, number[][]>;
}

interface Checkpoint {
  epoch: number;
  bestScore: number;
  history: EpochReport[];
  model: Parameters<typeof modelFromJson>[1];
}

export async function trainSeed(
  tf: Tf,
  store: ObjectStore,
  meta: PairsMeta,
  faces: DatasetFaces,
  hyper: Hyperparameters,
  checkpointKey: string,
  onEpoch: (report: EpochReport, improved: boolean) => Promise<void>,
  log: { info(object: object, message: string): void },
  threads = 1,
): Promise<SeedOutcome> {
  const labels = Uint8Array.from(
    npyValues(readNpy(await store.get(storageKeys.pairsFile(meta.pairsId, 'y.npy')))),
  );
  const x1 = readNpy(await store.get(storageKeys.pairsFile(meta.pairsId, 'x1.npy')));
  const x2 = readNpy(await store.get(storageKeys.pairsFile(meta.pairsId, 'x2.npy')));
  const [height, width] = meta.imageShape;
  const size = height * width;
  // Each paired face's pixels, found once in x1 or x2; other faces (held-out photos, faces in no
  // pair) are read from their grey crops when measured.
  const pixels = new Map<string, Uint8Array>();
  meta.pairs.forEach(([a, b], row) => {
    if (!pixels.has(a)) pixels.set(a, x1.data.subarray(row * size, (row + 1) * size));
    if (!pixels.has(b)) pixels.set(b, x2.data.subarray(row * size, (row + 1) * size));
  });
  const pixelsOf = async (identity: string, faceId: string): Promise<Uint8Array> => {
    const key = storageKeys.gray(meta.datasetId, identity, faceId);
    const known = pixels.get(key);
    if (known !== undefined) return known;
    const raw = await sharp(await store.get(key))
      .greyscale()
      .resize(width, height)
      .extractChannel(0)
      .raw()
      .toBuffer();
    const loaded = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
    pixels.set(key, loaded);
    return loaded;
  };
  const batchOf = (faces: readonly (Uint8Array | undefined)[]) => grayBatch(tf, faces, height, width);
  const set = (split: 'train' | 'validation'): PairSet => ({
    rows: rowsOf(meta, split),
    labels,
    inputs: (rows) => [
      batchOf(rows.map((row) => pixels.get(meta.pairs[row]?.[0] ?? ''))),
      batchOf(rows.map((row) => pixels.get(meta.pairs[row]?.[1] ?? ''))),
    ],
  });

  type Face = { identity: string; faceId: string; descriptor: number[] };
  const facesOf = (people: readonly string[], which: 'training' | 'heldOut' | 'all'): Face[] =>
    people.flatMap((identity) =>
      [
        ...(which !== 'heldOut' ? (faces.training.get(identity) ?? []) : []),
        ...(which !== 'training' ? (faces.heldOut.get(identity) ?? []) : []),
      ].map((face) => ({ identity, ...face })),
    );
  // Grey crops of every face measured, decoded once.
  const split = meta.splits;
  const measured = [
    ...facesOf(split.validation.identities, 'all'),
    ...facesOf(split.test.identities, 'all'),
    ...facesOf(split.train.identities, 'all'),
  ];
  const crops = new Map<string, Uint8Array>();
  for (const face of measured) crops.set(face.faceId, await pixelsOf(face.identity, face.faceId));

  let model: TF.LayersModel = seedBaseNetwork(tf, height);
  const embed = (list: readonly Face[]): Labelled[] => {
    const out: Labelled[] = [];
    for (let start = 0; start < list.length; start += hyper.batchSize) {
      const part = list.slice(start, start + hyper.batchSize);
      const values = tf.tidy(() =>
        (model.apply(batchOf(part.map((face) => crops.get(face.faceId)))) as TF.Tensor2D).arraySync(),
      );
      for (const [index, face] of part.entries())
        out.push({ identity: face.identity, embedding: values[index] ?? [] });
    }
    return out;
  };
  const grouped = (entries: readonly Labelled[]) => {
    const out = new Map<string, number[][]>();
    for (const entry of entries)
      out.set(entry.identity, [...(out.get(entry.identity) ?? []), [...entry.embedding]]);
    return out;
  };
  const baselineOf = (list: readonly Face[]): Labelled[] =>
    list.map((face) => ({ identity: face.identity, embedding: face.descriptor }));
  const validationFaces = facesOf(split.validation.identities, 'all');

  // A retried job (its worker died) resumes from the last checkpoint instead of starting over.
  const checkpoint = await readJsonObject<Checkpoint>(store, checkpointKey);
  if (checkpoint !== undefined) {
    model.dispose();
    model = await modelFromJson(tf, checkpoint.model);
    log.info({ epoch: checkpoint.epoch }, 'resuming from checkpoint');
  }
  const history: EpochReport[] = [...(checkpoint?.history ?? [])];
  const training = await trainSiamese(tf, model, set('train'), set('validation'), hyper, {
    startEpoch: checkpoint?.epoch ?? 0,
    bestScore: checkpoint?.bestScore ?? Number.NEGATIVE_INFINITY,
    threads,
    score: () => validationFigures(grouped(embed(validationFaces)), hyper.targetFar, hyper.seed),
    onEpoch: async (report, improved) => {
      history.push(report);
      await onEpoch(report, improved);
      if (improved) {
        const saved: Checkpoint = {
          epoch: report.epoch,
          bestScore: report.valScore ?? Number.NEGATIVE_INFINITY,
          history,
          model: artifactsToJson(await modelArtifacts(tf, model)) as Checkpoint['model'],
        };
        await store.put(checkpointKey, Buffer.from(JSON.stringify(saved)), {
          contentType: 'application/json',
        });
      }
    },
  });

  const testFaces = facesOf(split.test.identities, 'all');
  const testEmbeddings = grouped(embed(testFaces));
  const unseen = unseenPeopleProtocol(
    [{ trained: testEmbeddings, baseline: grouped(baselineOf(testFaces)) }],
    hyper.targetFar,
    hyper.seed,
  );
  const gallery = facesOf(split.train.identities, 'training');
  const probes = facesOf(split.train.identities, 'heldOut');
  const missed = split.train.identities.reduce((sum, identity) => sum + (faces.missed.get(identity) ?? 0), 0);
  const heldOut = heldOutPhotosProtocol(
    { gallery: embed(gallery), probes: embed(probes) },
    { gallery: baselineOf(gallery), probes: baselineOf(probes) },
    missed,
    hyper.targetFar,
  );
  const openSet = openSetIdentification(grouped(embed(validationFaces)), {
    targetFar: hyper.targetFar,
    seed: hyper.seed,
    rounds: 10,
  });
  return {
    model,
    split: {
      train: split.train.identities,
      validation: split.validation.identities,
      test: split.test.identities,
    },
    history,
    epochs: training.epochs,
    threshold: {
      distance: openSet.threshold,
      targetFar: hyper.targetFar,
      measuredFar: openSet.measuredFar,
      measuredOn: `the ${split.validation.identities.length} validation people (never trained on): half enrolled from one photo, the other half strangers, 10 rounds`,
      galleryPeople: openSet.galleryPeople,
      impostorProbes: openSet.impostorProbes,
    },
    protocols: { unseenPeople: unseen.protocol, heldOutPhotos: heldOut.protocol },
    pairsPerSecond: training.pairsPerSecond,
    trainingFaces: gallery.length,
    testEmbeddings,
  };
}
