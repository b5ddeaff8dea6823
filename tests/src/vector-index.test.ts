import assert from 'node:assert/strict';
import { it } from 'node:test';
import { buildVectorIndex, type VectorMatch } from '@faceshot/predictor/vector-index/vector-index';
import { noisyRows, randomVectors } from './support/random-vectors.js';

const DIMENSIONS = 16;

/** The obvious implementation: every distance, sorted by (distance, row). */
function naiveSearch(vectors: Float32Array, dimensions: number, query: Float32Array, k: number) {
  const rows = vectors.length / dimensions;
  const all = Array.from({ length: rows }, (_, row) => {
    let sum = 0;
    for (let index = 0; index < dimensions; index++) {
      const difference = (vectors[row * dimensions + index] as number) - (query[index] as number);
      sum += difference * difference;
    }
    return { label: row, distance: Math.sqrt(sum) };
  });
  all.sort((a, b) => a.distance - b.distance || a.label - b.label);
  return all.slice(0, k);
}

function assertSameMatches(actual: VectorMatch[], expected: VectorMatch[]): void {
  assert.deepEqual(
    actual.map((match) => match.label),
    expected.map((match) => match.label),
  );
  actual.forEach((match, index) => {
    assert.ok(Math.abs(match.distance - (expected[index] as VectorMatch).distance) < 1e-9);
  });
}

function row(vectors: Float32Array, dimensions: number, index: number): Float32Array {
  return vectors.subarray(index * dimensions, (index + 1) * dimensions);
}

it('the exact index returns what a naive scan returns, nearest first, for any k', () => {
  for (const distribution of ['uniform', 'normal'] as const) {
    const vectors = randomVectors(2_000, DIMENSIONS, 1, distribution);
    const queries = randomVectors(20, DIMENSIONS, 2, distribution);
    const index = buildVectorIndex(vectors, DIMENSIONS);
    assert.equal(index.kind, 'exact');
    assert.equal(index.size, 2_000);
    for (let query = 0; query < 20; query++) {
      const q = row(queries, DIMENSIONS, query);
      for (const k of [1, 5, 64]) {
        assertSameMatches(index.search(q, k), naiveSearch(vectors, DIMENSIONS, q, k));
      }
    }
  }
});

it('breaks distance ties by row, so duplicate vectors come back in a stable order', () => {
  const base = randomVectors(10, 4, 3);
  const vectors = new Float32Array(40 * 4);
  for (let copy = 0; copy < 4; copy++) vectors.set(base, copy * base.length); // each row 4 times
  const index = buildVectorIndex(vectors, 4);
  const q = row(base, 4, 7);
  const matches = index.search(q, 6);
  assertSameMatches(matches, naiveSearch(vectors, 4, q, 6));
  assert.deepEqual(
    matches.slice(0, 4).map((match) => match.label),
    [7, 17, 27, 37],
  );
  assert.equal(matches[0]?.distance, 0);
});

it('returns every row when k exceeds the size, and nothing from an empty index', () => {
  const vectors = randomVectors(5, DIMENSIONS, 4);
  const q = randomVectors(1, DIMENSIONS, 5);
  for (const exactBelow of [Number.POSITIVE_INFINITY, 0]) {
    const index = buildVectorIndex(vectors, DIMENSIONS, { exactBelow });
    assertSameMatches(index.search(q, 1_000_000), naiveSearch(vectors, DIMENSIONS, q, 5));
    const empty = buildVectorIndex(new Float32Array(0), DIMENSIONS, { exactBelow });
    assert.equal(empty.size, 0);
    assert.deepEqual(empty.search(q, 3), []);
  }
});

it('reports labels, not row numbers, when labels are given', () => {
  const vectors = randomVectors(300, DIMENSIONS, 6);
  const labels = Uint32Array.from({ length: 300 }, (_, index) => 1_000 + Math.floor(index / 3));
  for (const exactBelow of [Number.POSITIVE_INFINITY, 0]) {
    const index = buildVectorIndex(vectors, DIMENSIONS, { labels, exactBelow });
    for (const stored of [0, 151, 299]) {
      const [nearest] = index.search(row(vectors, DIMENSIONS, stored), 1);
      assert.deepEqual(nearest, { label: labels[stored], distance: 0 });
    }
  }
  assert.throws(
    () => buildVectorIndex(vectors, DIMENSIONS, { labels: labels.subarray(1) }),
    /299 labels for 300 rows/,
  );
});

it('refuses mismatched dimensions, NaN and k < 1 with a clear error', () => {
  const vectors = randomVectors(100, DIMENSIONS, 7);
  assert.throws(() => buildVectorIndex(vectors.subarray(1), DIMENSIONS), /dimension mismatch/);
  assert.throws(() => buildVectorIndex(vectors, 0), /dimensions must be a positive integer/);
  const poisoned = vectors.slice();
  poisoned[5 * DIMENSIONS + 3] = Number.NaN;
  assert.throws(() => buildVectorIndex(poisoned, DIMENSIONS), /row 5 has NaN at dimension 3/);
  for (const exactBelow of [Number.POSITIVE_INFINITY, 0]) {
    const index = buildVectorIndex(vectors, DIMENSIONS, { exactBelow });
    const q = row(vectors, DIMENSIONS, 0);
    assert.throws(() => index.search(q.subarray(1), 1), /query has 15 values, the index holds 16-d vectors/);
    assert.throws(() => index.search(Float32Array.of(...q.subarray(1), Number.NaN), 1), /query has NaN/);
    assert.throws(() => index.search(q, 0), /k must be an integer ≥ 1, got 0/);
    assert.throws(() => index.search(q, 1.5), /k must be an integer ≥ 1/);
  }
});

it('the ANN index finds the exact nearest neighbour for ≥ 99% of queries, with exact distances', () => {
  // 32-d keeps the build to a few seconds; 128-d at up to 1M rows is in bench/src/gallery-search.ts.
  // Queries are stored rows plus noise (a new photo of an enrolled person) and fully random vectors
  // (nobody enrolled), which are far from every row and the hard case for a graph.
  const dimensions = 32;
  const vectors = randomVectors(20_000, dimensions, 8);
  const exact = buildVectorIndex(vectors, dimensions, { exactBelow: Number.POSITIVE_INFINITY });
  const ann = buildVectorIndex(vectors, dimensions, { exactBelow: 10_000 });
  assert.equal(ann.kind, 'ann');
  assert.equal(ann.size, 20_000);
  const querySets = {
    noisy: noisyRows(vectors, dimensions, 200, 0.1, 9).queries,
    random: randomVectors(200, dimensions, 10),
  };
  for (const [name, queries] of Object.entries(querySets)) {
    let hits = 0;
    for (let query = 0; query < 200; query++) {
      const q = row(queries, dimensions, query);
      const found = ann.search(q, 5);
      if (found[0]?.label === exact.search(q, 1)[0]?.label) hits += 1;
      // Re-ranked from the stored rows: exact distances, nearest first.
      for (const match of found) {
        const reference = naiveSearch(row(vectors, dimensions, match.label), dimensions, q, 1)[0];
        assert.ok(Math.abs(match.distance - (reference as VectorMatch).distance) < 1e-9);
      }
      const distances = found.map((match) => match.distance);
      assert.deepEqual(
        distances,
        [...distances].sort((a, b) => a - b),
      );
    }
    assert.ok(hits / 200 >= 0.99, `${name} queries: recall@1 ${hits / 200}`);
  }
});
