import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  accuracyAt,
  bestThreshold,
  equalErrorRate,
  oneShotAccuracy,
  rocAuc,
  rocCurve,
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

it('traces the ROC curve from (0, 0) to (1, 1), one point per distinct distance', () => {
  const curve = rocCurve([
    pair(0.1, true),
    pair(0.3, false),
    pair(0.4, true),
    pair(0.4, false),
    pair(0.9, false),
  ]);
  assert.deepEqual(
    curve.map((point) => [point.threshold, point.falsePositiveRate, point.truePositiveRate]),
    [
      [0.1 - 1e-6, 0, 0],
      [0.1, 0, 0.5],
      [0.3, 1 / 3, 0.5],
      [0.4, 2 / 3, 1],
      [0.9, 1, 1],
    ],
  );
  assert.deepEqual(rocCurve([pair(0.1, true)]), []);
});

it('computes the equal error rate of many pairs in one sweep', () => {
  // 20,000 pairs per class (a per-threshold scan would take seconds): same-person distances spread
  // evenly over [0, 1), different-person ones over [0.5, 1.5); the rates cross at 0.75, both 25%.
  const pairs = Array.from({ length: 40_000 }, (_, index) =>
    index % 2 === 0 ? pair(index / 40_000, true) : pair(0.5 + index / 40_000, false),
  );
  const rate = equalErrorRate(pairs);
  assert.ok(Math.abs(rate - 0.25) < 1e-3, `EER ${rate}`);
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
