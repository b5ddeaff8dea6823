import assert from 'node:assert/strict';
import { it } from 'node:test';
import { seededRandom } from '@faceshot/core/seeded-random';
import { drawPairs, splitIdentities } from './build-pairs.js';

const identities = Array.from({ length: 20 }, (_, index) => `person-${index}`);

it('splits by identity, disjoint and reproducible for a seed', () => {
  const split = splitIdentities(identities, { validation: 0.15, test: 0.15 }, seededRandom(7));
  assert.deepEqual([split.train.length, split.validation.length, split.test.length], [14, 3, 3]);
  const all = [...split.train, ...split.validation, ...split.test];
  assert.equal(new Set(all).size, 20);
  assert.deepEqual(splitIdentities(identities, { validation: 0.15, test: 0.15 }, seededRandom(7)), split);
  assert.notDeepEqual(splitIdentities(identities, { validation: 0.15, test: 0.15 }, seededRandom(8)), split);
  // Two people are always left to train on.
  assert.equal(
    splitIdentities(['a', 'b', 'c'], { validation: 0.5, test: 0.5 }, seededRandom(1)).train.length,
    2,
  );
});

it('draws balanced pairs: similar within a person, dissimilar across people, no repeats', () => {
  const faces = new Map(
    identities.map((identity) => [identity, Array.from({ length: 5 }, (_, n) => `${identity}/${n}`)]),
  );
  const pairs = drawPairs(faces, identities, 100, seededRandom(3));
  const similar = pairs.filter((pair) => pair.same === 1);
  const dissimilar = pairs.filter((pair) => pair.same === 0);
  assert.equal(similar.length, 100);
  assert.equal(dissimilar.length, 100);
  for (const pair of similar) assert.equal(pair.a.split('/')[0], pair.b.split('/')[0]);
  for (const pair of dissimilar) assert.notEqual(pair.a.split('/')[0], pair.b.split('/')[0]);
  assert.equal(new Set(pairs.map((pair) => `${pair.a}|${pair.b}`)).size, pairs.length);
});

it('caps at the similar pairs that exist and stays balanced', () => {
  const faces = new Map([
    ['a', ['a/1', 'a/2', 'a/3']],
    ['b', ['b/1', 'b/2']],
  ]);
  const pairs = drawPairs(faces, ['a', 'b'], 1000, seededRandom(5));
  assert.equal(pairs.filter((pair) => pair.same === 1).length, 4); // C(3,2) + C(2,2)
  assert.equal(pairs.filter((pair) => pair.same === 0).length, 4);
});
