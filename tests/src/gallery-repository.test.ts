// The gallery in Redis: atomic adds (concurrent enrolments lose nothing), duplicates skipped,
// rename/remove, and a version that moves on every change (what predictors watch).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  GalleryEmbeddingMismatchError,
  type GalleryPhoto,
  GalleryRepository,
} from '@faceshot/core/gallery/gallery-repository';
import { Redis } from 'ioredis';
import { type TestRedis, useTestRedis } from './support/test-redis.js';

const SPACE = 'faceapi-128';
const photo = (sha256: string, embedding: number[]): GalleryPhoto => ({
  sha256,
  photoKey: `galleries/m1/${sha256}.png`,
  embedding,
  source: 'upload',
  addedAt: new Date().toISOString(),
});

describe('GalleryRepository', () => {
  let testRedis: TestRedis;
  let redis: Redis;
  let galleries: GalleryRepository;

  before(async () => {
    testRedis = await useTestRedis('gallery');
    redis = new Redis(testRedis.url);
    galleries = new GalleryRepository(redis, testRedis.prefix);
  });
  after(async () => {
    redis.disconnect();
    await testRedis.cleanup();
  });

  it('adds photos, skips ones already enrolled, bumps the version', async () => {
    assert.equal(await galleries.version('m1'), '0');
    const first = await galleries.addPhotos('m1', 'Ann', [photo('a', [0, 2]), photo('b', [2, 0])], SPACE);
    assert.equal(first.added, 2);
    assert.deepEqual(
      first.identity.photos.map((entry) => entry.embedding),
      [
        [0, 2],
        [2, 0],
      ],
    );
    const version = await galleries.version('m1');
    assert.notEqual(version, '0');
    const again = await galleries.addPhotos('m1', 'Ann', [photo('a', [0, 2])], SPACE);
    assert.equal(again.added, 0);
    assert.equal(await galleries.version('m1'), version, 'nothing changed, so the version stays');
    assert.equal((await galleries.get('m1', 'Ann'))?.photos.length, 2);
  });

  it('loses nothing when 20 enrolments of one person run at once', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        galleries.addPhotos('m1', 'Crowd', [photo(`c${index}`, [index, 0])], SPACE),
      ),
    );
    const crowd = await galleries.get('m1', 'Crowd');
    assert.equal(crowd?.photos.length, 20);
    assert.deepEqual(
      crowd?.photos.map((entry) => entry.embedding[0] ?? -1).sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, index) => index),
    );
  });

  it('reads an entry of an older version without its unused mean, and the next write drops it', async () => {
    const hash = `${testRedis.prefix}:meta:gallery:m-old`;
    const old = { identity: 'Old', enrolledAt: 'then', updatedAt: 'then', photos: [photo('o', [1, 1])] };
    await redis.hset(hash, 'Old', JSON.stringify({ ...old, mean: [1, 1] }));
    assert.deepEqual(await galleries.get('m-old', 'Old'), old);
    await galleries.addPhotos('m-old', 'Old', [photo('p', [3, 3])], SPACE);
    assert.equal(JSON.parse((await redis.hget(hash, 'Old')) ?? '{}').mean, undefined);
  });

  it('refuses embeddings of another net, until the gallery is empty again', async () => {
    const space = 'onnx-net@aaaa';
    await galleries.addPhotos('m3', 'Ann', [photo('a', [1, 0])], space);
    assert.equal(await galleries.embeddingSpace('m3'), space);
    await assert.rejects(
      galleries.addPhotos('m3', 'Bob', [photo('b', [0, 1])], 'onnx-net@bbbb'),
      (error: unknown) =>
        error instanceof GalleryEmbeddingMismatchError &&
        /holds embeddings of onnx-net@aaaa, not of onnx-net@bbbb/.test(error.message),
    );
    assert.equal(await galleries.get('m3', 'Bob'), undefined, 'nothing of the refused photos was kept');
    assert.equal((await galleries.snapshot('m3')).embeddingSpace, space);
    await galleries.remove('m3', 'Ann');
    assert.equal(await galleries.embeddingSpace('m3'), undefined);
    const fresh = await galleries.addPhotos('m3', 'Bob', [photo('b', [0, 1])], 'onnx-net@bbbb');
    assert.equal(fresh.added, 1);
    await galleries.drop('m3');
    assert.equal(await galleries.embeddingSpace('m3'), undefined);
  });

  it('renames (refusing a taken name), removes, lists and snapshots', async () => {
    await galleries.addPhotos('m1', 'Bob', [photo('x', [1, 1])], SPACE);
    assert.equal(await galleries.rename('m1', 'Bob', 'Ann'), 'taken');
    assert.equal(await galleries.rename('m1', 'Nobody', 'Zed'), 'missing');
    const before = await galleries.version('m1');
    assert.equal(await galleries.rename('m1', 'Bob', 'Robert'), 'renamed');
    assert.notEqual(await galleries.version('m1'), before);
    assert.equal(await galleries.get('m1', 'Bob'), undefined);
    assert.equal((await galleries.get('m1', 'Robert'))?.identity, 'Robert');
    assert.deepEqual(
      (await galleries.list('m1')).map((entry) => entry.identity),
      ['Ann', 'Crowd', 'Robert'],
    );
    const removed = await galleries.remove('m1', 'Robert');
    assert.deepEqual(
      removed?.photos.map((entry) => entry.photoKey),
      ['galleries/m1/x.png'],
    );
    assert.equal(await galleries.remove('m1', 'Robert'), undefined);
    const snapshot = await galleries.snapshot('m1');
    assert.equal(snapshot.version, await galleries.version('m1'));
    assert.equal(snapshot.identities.length, 2);
    assert.equal(await galleries.count('m1'), 2);
    assert.equal(await galleries.count('m2'), 0, 'galleries are per model');
    await galleries.drop('m1');
    assert.equal(await galleries.count('m1'), 0);
    assert.notEqual(await galleries.version('m1'), snapshot.version, 'dropping invalidates cached copies');
  });
});
