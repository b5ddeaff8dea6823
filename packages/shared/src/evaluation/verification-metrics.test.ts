import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  accuracyAt,
  bestThreshold,
  equalErrorRate,
  oneShotAccuracy,
  rocAuc,
} from './verification-metrics.js';

const pair = (distance: number, same: boolean) => ({ distance, same });

it('computes ROC AUC from distances, ties counting half', () => {
  assert.equal(rocAuc([pair(0.1, true), pair(0.2, true), pair(0.8, false), pair(0.9, false)]), 1);
  assert.equal(rocAuc([pair(0.9, true), pair(0.1, false)]), 0);
  assert.equal(rocAuc([pair(0.5, true), pair(0.5, false)]), 0.5);
  // 2 positives, 2 negatives, one inversion out of four orderings.
  assert.equal(rocAuc([pair(0.1, true), pair(0.3, false), pair(0.4, true), pair(0.9, false)]), 0.75);
  assert.ok(Number.isNaN(rocAuc([pair(0.1, true)])));
});

it('finds the threshold with the best accuracy', () => {
  const pairs = [
    pair(0.1, true),
    pair(0.2, true),
    pair(0.35, false),
    pair(0.4, true),
    pair(0.8, false),
    pair(0.9, false),
  ];
  const best = bestThreshold(pairs);
  assert.equal(best.accuracy, 5 / 6);
  assert.equal(accuracyAt(pairs, best.threshold), best.accuracy);
  assert.ok(
    (best.threshold > 0.2 && best.threshold < 0.35) || (best.threshold > 0.4 && best.threshold < 0.8),
  );
  assert.equal(bestThreshold([pair(0.9, false), pair(0.95, false)]).accuracy, 1);
});

it('computes the equal error rate', () => {
  assert.equal(equalErrorRate([pair(0.1, true), pair(0.2, true), pair(0.8, false), pair(0.9, false)]), 0);
  assert.equal(equalErrorRate([pair(0.1, true), pair(0.3, false), pair(0.4, true), pair(0.9, false)]), 0.5);
});

it('scores one-shot N-way identification, reproducibly', () => {
  // Three well-separated people and one whose photos scatter.
  const people = new Map<string, number[][]>([
    [
      'a',
      [
        [0, 0],
        [0.1, 0],
        [0, 0.1],
      ],
    ],
    [
      'b',
      [
        [5, 5],
        [5.1, 5],
        [5, 5.1],
      ],
    ],
    [
      'c',
      [
        [-5, 5],
        [-5.1, 5],
        [-5, 5.1],
      ],
    ],
    ['single', [[9, 9]]],
  ]);
  const result = oneShotAccuracy(people, 'all', 1000, 7);
  assert.deepEqual(result, { accuracy: 1, ways: 3, trials: 1000 });
  const confused = new Map<string, number[][]>([
    [
      'x',
      [
        [0, 0],
        [10, 10],
      ],
    ],
    [
      'y',
      [
        [10, 10.1],
        [0, 0.1],
      ],
    ],
  ]);
  const mixed = oneShotAccuracy(confused, 2, 1000, 7);
  assert.ok(mixed.accuracy < 0.5, `worse than chance expected, got ${mixed.accuracy}`);
  assert.deepEqual(oneShotAccuracy(confused, 2, 1000, 7), mixed);
  assert.equal(oneShotAccuracy(people, 5, 10, 1).trials, 0);
});
