// The pairs stage (CPU role): curated grey faces → balanced similar/dissimilar pairs per identity
// split, saved as NumPy files the way the seed project saved them: x1.npy and x2.npy (uint8,
// N×H×W×1), y.npy (uint8, 1 = same person), plus meta.json (splits, the face keys of every pair).
import { Readable } from 'node:stream';
import type { Curation } from '@faceshot/core/contracts/face-record';
import { CurationSchema } from '@faceshot/core/contracts/face-record';
import type { PayloadOf, ResultOf } from '@faceshot/core/queues/definitions';
import { PermanentJobError } from '@faceshot/core/queues/permanent-job-error';
import type { StageContext } from '@faceshot/core/queues/stage-worker';
import { seededRandom } from '@faceshot/core/seeded-random';
import { storageKeys } from '@faceshot/core/storage/keys';
import type { ObjectStore } from '@faceshot/core/storage/object-store';
import { readStoredDocument } from '@faceshot/core/storage/stored-document';
import sharp from 'sharp';
import { npyHeader } from '../numpy/npy.js';
import {
  chooseHeldOut,
  DEFAULT_HELD_OUT_PHOTOS,
  drawPairs,
  type Pair,
  splitIdentities,
} from './build-pairs.js';
import type { PairsMeta } from './pairs-meta.js';

export type { PairsMeta } from './pairs-meta.js';

async function readCuration(store: ObjectStore, datasetId: string): Promise<Curation> {
  const curation = await readStoredDocument(store, storageKeys.curation(datasetId), CurationSchema);
  if (curation === undefined)
    throw new PermanentJobError(`dataset "${datasetId}" has no curation yet: extract and curate it first`);
  return curation;
}

export function createPairsStage(deps: { store: ObjectStore; graySize: number }) {
  return async (payload: PayloadOf<'pairs'>, context: StageContext): Promise<ResultOf<'pairs'>> => {
    const { datasetId, pairsId, seed, pairsPerClass } = payload;
    const curation = await readCuration(deps.store, datasetId);
    // Per person: kept faces, and photos without a usable face (rejected before any distance was
    // measured: no face, too small, low score). Faces rejected as someone else's stay out entirely.
    const photosByIdentity = new Map<string, { faces: string[]; missed: string[] }>();
    for (const [faceId, decision] of Object.entries(curation.faces).sort(([a], [b]) => a.localeCompare(b))) {
      const photos = photosByIdentity.get(decision.identity) ?? { faces: [], missed: [] };
      if (decision.status === 'kept') photos.faces.push(faceId);
      else if (decision.distance === undefined && decision.overridden !== true) photos.missed.push(faceId);
      photosByIdentity.set(decision.identity, photos);
    }
    const heldOut = chooseHeldOut(
      photosByIdentity,
      payload.heldOutPhotos ?? DEFAULT_HELD_OUT_PHOTOS,
      seededRandom(seed + 7919),
    );
    const facesByIdentity = new Map<string, string[]>();
    for (const [identity, photos] of photosByIdentity) {
      const held = new Set(heldOut.get(identity)?.faces ?? []);
      const training = photos.faces
        .filter((faceId) => !held.has(faceId))
        .map((faceId) => storageKeys.gray(datasetId, identity, faceId));
      if (training.length > 0) facesByIdentity.set(identity, training);
    }
    const usable = [...facesByIdentity.keys()].filter(
      (identity) => (facesByIdentity.get(identity)?.length ?? 0) >= 2,
    );
    if (usable.length < 2) {
      throw new PermanentJobError(
        `need at least 2 identities with 2 kept faces each; dataset "${datasetId}" has ${usable.length}`,
      );
    }
    const random = seededRandom(seed);
    const split = splitIdentities(
      usable,
      { validation: payload.validationShare, test: payload.testShare },
      random,
    );
    const meta: PairsMeta = {
      pairsId,
      datasetId,
      seed,
      createdAt: new Date().toISOString(),
      imageShape: [deps.graySize, deps.graySize, 1],
      count: 0,
      splits: {} as PairsMeta['splits'],
      pairs: [],
      heldOut: Object.fromEntries(heldOut),
    };
    const all: Pair[] = [];
    for (const name of ['train', 'validation', 'test'] as const) {
      // Each split's share of the pairs follows its share of the identities (train gets the most).
      const quota = Math.max(1, Math.round((pairsPerClass * split[name].length) / usable.length));
      const pairs = split[name].length > 0 ? drawPairs(facesByIdentity, split[name], quota, random) : [];
      const similar = pairs.filter((pair) => pair.same === 1).length;
      meta.splits[name] = {
        identities: split[name],
        start: all.length,
        count: pairs.length,
        similar,
        dissimilar: pairs.length - similar,
      };
      all.push(...pairs);
    }
    meta.count = all.length;
    meta.pairs = all.map((pair) => [pair.a, pair.b, pair.same]);

    // Every face once, decoded to graySize × graySize × 1 bytes.
    const pixels = new Map<string, Buffer>();
    const keys = [...new Set(all.flatMap((pair) => [pair.a, pair.b]))];
    for (const [index, key] of keys.entries()) {
      const png = await deps.store.get(key);
      const raw = await sharp(png)
        .greyscale()
        .resize(deps.graySize, deps.graySize)
        .extractChannel(0)
        .raw()
        .toBuffer();
      pixels.set(key, raw);
      if (index % 50 === 0)
        await context.progress({ stage: 'reading faces', done: index, total: keys.length });
    }
    const shape = [all.length, deps.graySize, deps.graySize, 1];
    const column = (pick: (pair: Pair) => string) =>
      Readable.from(
        (function* () {
          yield npyHeader('|u1', shape);
          for (const pair of all) yield pixels.get(pick(pair)) as Buffer;
        })(),
      );
    await deps.store.putStream(
      storageKeys.pairsFile(pairsId, 'x1.npy'),
      column((pair) => pair.a),
    );
    await deps.store.putStream(
      storageKeys.pairsFile(pairsId, 'x2.npy'),
      column((pair) => pair.b),
    );
    await deps.store.put(
      storageKeys.pairsFile(pairsId, 'y.npy'),
      Buffer.concat([npyHeader('|u1', [all.length]), Buffer.from(all.map((pair) => pair.same))]),
    );
    await deps.store.put(storageKeys.pairsFile(pairsId, 'meta.json'), Buffer.from(JSON.stringify(meta)), {
      contentType: 'application/json',
    });
    await context.progress(100);
    return {
      pairs: all.length,
      identities: { train: split.train.length, validation: split.validation.length, test: split.test.length },
    };
  };
}
