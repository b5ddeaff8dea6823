// The pairs stage on a filesystem store holding a curated dataset of grey faces.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import type { Curation } from '@faceshot/core/contracts/face-record';
import { createLogger } from '@faceshot/core/logger';
import { FsObjectStore } from '@faceshot/core/storage/fs-object-store';
import { storageKeys } from '@faceshot/core/storage/keys';
import sharp from 'sharp';
import { npyValues, readNpy } from '../numpy/npy.js';
import { createPairsStage, type PairsMeta } from './pairs-stage.js';

let root: string;
let store: FsObjectStore;
const datasetId = 'ds_pairs';
const rejected = new Set<string>();
const sourcePixels = new Map<string, Buffer>();
const context = {
  jobId: '1',
  attempt: 1,
  log: createLogger({ level: 'silent', format: 'json' }),
  progress: async () => undefined,
  childrenFirst: async () => undefined,
};

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'faceshot-pairs-'));
  store = new FsObjectStore(root);
  const curation: Curation = {
    datasetId,
    curatedAt: new Date().toISOString(),
    params: {
      keepPerIdentity: 20,
      wrongPersonDistance: 0.6,
      clusterDistance: 0.55,
      minScore: 0.5,
      minFacePixels: 32,
    },
    faces: {},
  };
  for (let person = 0; person < 10; person++) {
    for (let face = 0; face < 5; face++) {
      const faceId = createHash('sha256').update(`${person}/${face}`).digest('hex');
      const identity = `person ${person}`;
      const pixels = Buffer.alloc(80 * 80, person * 20 + face);
      sourcePixels.set(storageKeys.gray(datasetId, identity, faceId), pixels);
      const png = await sharp(pixels, { raw: { width: 80, height: 80, channels: 1 } })
        .toColourspace('b-w')
        .png()
        .toBuffer();
      await store.put(storageKeys.gray(datasetId, identity, faceId), png);
      const keep = face !== 4;
      if (!keep) rejected.add(storageKeys.gray(datasetId, identity, faceId));
      curation.faces[faceId] = { identity, status: keep ? 'kept' : 'rejected' };
    }
  }
  await store.put(storageKeys.curation(datasetId), Buffer.from(JSON.stringify(curation)));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

it('writes balanced pairs per identity split as uint8 NumPy arrays with their meta', async () => {
  const stage = createPairsStage({ store, graySize: 80 });
  const payload = {
    datasetId,
    pairsId: 'pairs_1',
    seed: 42,
    pairsPerClass: 40,
    validationShare: 0.2,
    testShare: 0.2,
    // Every kept face in pairs here; holding photos out is tested with the train stage.
    heldOutPhotos: 0,
  };
  const result = await stage(payload, context);
  assert.deepEqual(
    Object.values(
      (JSON.parse((await store.get(storageKeys.pairsFile('pairs_1', 'meta.json'))).toString()) as PairsMeta)
        .heldOut,
    ).flatMap((entry) => [...entry.faces, ...entry.missed]),
    [],
  );
  assert.deepEqual(result.identities, { train: 6, validation: 2, test: 2 });

  const meta = JSON.parse(
    (await store.get(storageKeys.pairsFile('pairs_1', 'meta.json'))).toString(),
  ) as PairsMeta;
  const x1 = readNpy(await store.get(storageKeys.pairsFile('pairs_1', 'x1.npy')));
  const x2 = readNpy(await store.get(storageKeys.pairsFile('pairs_1', 'x2.npy')));
  const y = npyValues(readNpy(await store.get(storageKeys.pairsFile('pairs_1', 'y.npy'))));
  assert.deepEqual(x1.shape, [result.pairs, 80, 80, 1]);
  assert.deepEqual(x2.shape, [result.pairs, 80, 80, 1]);
  assert.equal(y.length, result.pairs);
  assert.equal(meta.count, result.pairs);

  const identityOf = (key: string) => key.split('/')[3];
  const seen = new Map<string, string>();
  for (const name of ['train', 'validation', 'test'] as const) {
    const split = meta.splits[name];
    assert.equal(split.similar, split.dissimilar, `${name} is balanced`);
    for (const identity of split.identities) {
      assert.equal(seen.get(identity), undefined, `${identity} is in two splits`);
      seen.set(identity, name);
    }
    for (let row = split.start; row < split.start + split.count; row++) {
      const [a, b, same] = meta.pairs[row] ?? ['', '', 0];
      assert.equal(y[row], same);
      assert.equal(seen.get(identityOf(a) ?? ''), name);
      assert.equal(seen.get(identityOf(b) ?? ''), name);
      assert.equal(identityOf(a) === identityOf(b), same === 1);
      assert.ok(!rejected.has(a) && !rejected.has(b), 'a rejected face was paired');
      assert.deepEqual(x1.data.subarray(row * 6400, (row + 1) * 6400), sourcePixels.get(a));
      assert.deepEqual(x2.data.subarray(row * 6400, (row + 1) * 6400), sourcePixels.get(b));
    }
  }
  assert.equal(meta.splits.train.similar, 24); // 40 × 6/10 = 24 ≤ 6 × C(4,2) = 36

  // Same seed, same pairs.
  await stage({ ...payload, pairsId: 'pairs_2' }, context);
  const again = JSON.parse(
    (await store.get(storageKeys.pairsFile('pairs_2', 'meta.json'))).toString(),
  ) as PairsMeta;
  assert.deepEqual(again.pairs, meta.pairs);
});

it('loads with numpy.load where python3 and numpy exist', (t) => {
  const python = ['python3', '/usr/bin/python3'].find(
    (candidate) => spawnSync(candidate, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0,
  );
  if (python === undefined) {
    t.skip('python3 with numpy is not installed');
    return;
  }
  const directory = path.join(root, 'pairs', 'pairs_1');
  const script = `
import numpy as np, sys, os
d = sys.argv[1]
x1, x2, y = (np.load(os.path.join(d, f)) for f in ('x1.npy', 'x2.npy', 'y.npy'))
assert x1.dtype == np.uint8 and x1.ndim == 4 and x1.shape[1:] == (80, 80, 1), x1.shape
assert x2.shape == x1.shape and y.shape == (x1.shape[0],)
assert set(np.unique(y)) <= {0, 1} and y.sum() * 2 == len(y)
print(x1.shape[0])
`;
  const result = spawnSync(python, ['-c', script, directory], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
});

it('refuses a dataset that has not been curated', async () => {
  const stage = createPairsStage({ store, graySize: 80 });
  await assert.rejects(
    stage(
      {
        datasetId: 'ds_other',
        pairsId: 'p',
        seed: 1,
        pairsPerClass: 10,
        validationShare: 0.1,
        testShare: 0.1,
      },
      context,
    ),
    /no curation yet/,
  );
});
