import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cosineDistance,
  distanceOf,
  euclideanDistance,
  fromEuclidean,
  l2Normalised,
} from './embedding-distance.js';

describe('embedding distances', () => {
  it('measures Euclidean and cosine distance', () => {
    assert.equal(euclideanDistance([0, 0], [3, 4]), 5);
    assert.equal(cosineDistance([1, 0], [5, 0]), 0);
    assert.ok(Math.abs(cosineDistance([1, 0], [0, 2]) - 1) < 1e-12);
    assert.ok(Math.abs(cosineDistance([1, 0], [-3, 0]) - 2) < 1e-12);
    assert.equal(distanceOf('euclidean', [1, 1], [1, 2]), 1);
  });

  it('turns the Euclidean distance of unit vectors into the cosine distance exactly', () => {
    const a = l2Normalised([0.3, -1.2, 2.5, 0.7]);
    const b = l2Normalised([1.1, 0.4, -0.2, 0.9]);
    assert.ok(Math.abs(Math.hypot(...a) - 1) < 1e-6);
    const converted = fromEuclidean('cosine', euclideanDistance(a, b));
    assert.ok(Math.abs(converted - cosineDistance(a, b)) < 1e-6);
    assert.equal(fromEuclidean('euclidean', 0.7), 0.7);
  });

  it('refuses vectors it cannot compare or normalise', () => {
    assert.throws(() => l2Normalised([0, 0, 0]), /cannot be normalised/);
    assert.throws(() => euclideanDistance([1], [1, 2]), /1 and 2 values/);
    assert.throws(() => cosineDistance([0, 0], [1, 2]), /zero vector/);
  });
});
