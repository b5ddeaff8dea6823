import assert from 'node:assert/strict';
import { it } from 'node:test';
import { thinCurve } from './eval-metrics.js';
import { verificationPairs } from './eval-pairs.js';

/** Face i belongs to person identities[i]: a has 4 faces, b 3, c 1. */
const identities = ['a', 'a', 'b', 'a', 'b', 'c', 'a', 'b'];

it('takes every same-person pair and as many distinct different-person pairs, reproducibly', () => {
  const pairs = verificationPairs(identities, 1000, 7);
  const same = pairs.filter((pair) => pair.same);
  const different = pairs.filter((pair) => !pair.same);
  assert.equal(same.length, 6 + 3); // C(4, 2) + C(3, 2)
  assert.equal(different.length, same.length);
  for (const pair of same) assert.equal(identities[pair.a], identities[pair.b]);
  for (const pair of different) assert.notEqual(identities[pair.a], identities[pair.b]);
  const keys = different.map((pair) => [pair.a, pair.b].sort((x, y) => x - y).join(':'));
  assert.equal(new Set(keys).size, keys.length, 'no different-person pair twice');
  assert.deepEqual(verificationPairs(identities, 1000, 7), pairs);
  assert.notDeepEqual(verificationPairs(identities, 1000, 8), pairs);
});

it('samples the same-person pairs down to the cap', () => {
  const many = Array.from({ length: 60 }, (_, index) => `person${index % 3}`); // 3 × C(20, 2) = 570
  const pairs = verificationPairs(many, 100, 1);
  assert.equal(pairs.filter((pair) => pair.same).length, 100);
  assert.equal(pairs.filter((pair) => !pair.same).length, 100);
  // One person: no different-person pair exists, and the draw gives up instead of looping.
  assert.equal(verificationPairs(['x', 'x', 'x'], 100, 1).filter((pair) => !pair.same).length, 0);
});

it('thins an ROC curve, keeping its ends', () => {
  const points = Array.from({ length: 1001 }, (_, index) => ({
    threshold: index,
    falsePositiveRate: index / 1000,
    truePositiveRate: Math.sqrt(index / 1000),
  }));
  const thinned = thinCurve(points, 0.01);
  assert.ok(thinned.length < 250 && thinned.length > 50, `${thinned.length} points`);
  assert.deepEqual(thinned[0], points[0]);
  assert.deepEqual(thinned[thinned.length - 1], points[1000]);
});
