import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { similarityScore } from './scoring.js';

describe('similarityScore', () => {
  it('is 1 at distance 0, 0.5 at the threshold, 0 at twice the threshold and beyond', () => {
    assert.equal(similarityScore(0, 0.6), 1);
    assert.equal(similarityScore(0.6, 0.6), 0.5);
    assert.equal(similarityScore(1.2, 0.6), 0);
    assert.equal(similarityScore(5, 0.6), 0);
    assert.ok(similarityScore(0.3, 0.6) > similarityScore(0.4, 0.6));
  });

  it('stays in [0, 1] for a zero threshold', () => {
    assert.equal(similarityScore(0, 0), 1);
    assert.equal(similarityScore(0.1, 0), 0);
  });
});
