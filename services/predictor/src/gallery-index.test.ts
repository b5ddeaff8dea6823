import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GalleryIdentity } from '@faceshot/core/gallery/gallery-repository';
import { GalleryIndex } from './gallery-index.js';

function person(identity: string, ...embeddings: number[][]): GalleryIdentity {
  return {
    identity,
    enrolledAt: '',
    updatedAt: '',
    photos: embeddings.map((embedding, index) => ({
      sha256: `${identity}-${index}`,
      photoKey: `galleries/m/${identity}-${index}.png`,
      embedding,
      source: 'upload',
      addedAt: '',
    })),
  };
}

describe('GalleryIndex', () => {
  const gallery = [
    // Ann has many photos near the query: the top 2 must still name two different people.
    person('Ann', [0, 0], [0.1, 0], [0, 0.1], [0.1, 0.1]),
    person('Bob', [1, 0]),
    person('Cid', [5, 5]),
  ];

  for (const exactBelow of [1_000, 1]) {
    it(`ranks identities by their nearest photo (${exactBelow === 1 ? 'ANN' : 'exact'} index)`, () => {
      const index = new GalleryIndex(gallery, 2, exactBelow);
      assert.equal(index.kind, exactBelow === 1 ? 'ann' : 'exact');
      assert.equal(index.identities, 3);
      const top = index.nearest(Float32Array.from([0.9, 0]), 2);
      assert.deepEqual(
        top.map((match) => match.identity),
        ['Bob', 'Ann'],
      );
      assert.ok(Math.abs((top[0]?.distance ?? 0) - 0.1) < 1e-6);
      assert.ok(Math.abs((top[1]?.distance ?? 0) - Math.hypot(0.8, 0)) < 1e-6);
      assert.equal(index.nearest(Float32Array.from([0, 0]), 10).length, 3);
    });
  }

  it('answers nothing from an empty gallery and refuses a wrong embedding size', () => {
    const empty = new GalleryIndex([], 2, 100);
    assert.equal(empty.kind, 'empty');
    assert.deepEqual(empty.nearest(Float32Array.from([0, 0]), 3), []);
    const index = new GalleryIndex(gallery, 2, 100);
    assert.throws(() => index.nearest(Float32Array.from([0, 0, 0]), 1), /3 values/);
  });

  it('skips photos embedded by another model size', () => {
    const index = new GalleryIndex([person('Ann', [0, 0]), person('Old', [0, 0, 0])], 2, 100);
    assert.deepEqual(
      index.nearest(Float32Array.from([0, 0]), 5).map((match) => match.identity),
      ['Ann'],
    );
  });
});
