// The 5-point alignment: the least-squares similarity is checked against transforms known exactly.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ARCFACE_112_TEMPLATE } from '@faceshot/core/engines/onnx/onnx-manifest';
import {
  applySimilarity,
  fitSimilarity,
  fivePointsFrom68,
  inverseAffine,
  type Point,
  type Similarity,
} from './similarity-warp.js';

const close = (actual: number, expected: number, tolerance = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not ${expected} ± ${tolerance}`);

function similarity(scale: number, degrees: number, tx: number, ty: number): Similarity {
  const angle = (degrees * Math.PI) / 180;
  return { a: scale * Math.cos(angle), b: scale * Math.sin(angle), tx, ty };
}

describe('the 5-point similarity', () => {
  it('recovers a rotation, scale and shift exactly from the points it moved', () => {
    const truth = similarity(0.42, 17, 12.5, -30);
    // Face points in a photo, mapped onto the template by `truth`: fitting them must give `truth`.
    const photoPoints: Point[] = [
      [310, 402],
      [395, 420],
      [350, 460],
      [318, 505],
      [388, 515],
    ];
    const fitted = fitSimilarity(
      photoPoints,
      photoPoints.map((point) => applySimilarity(truth, point)),
    );
    close(fitted.a, truth.a);
    close(fitted.b, truth.b);
    close(fitted.tx, truth.tx, 1e-7);
    close(fitted.ty, truth.ty, 1e-7);
  });

  it('maps a face that is the template moved, turned and enlarged back onto the template', () => {
    const toPhoto = similarity(2.5, -40, 200, 90);
    const photoPoints = ARCFACE_112_TEMPLATE.map((point) => applySimilarity(toPhoto, point));
    const fitted = fitSimilarity(photoPoints, ARCFACE_112_TEMPLATE);
    photoPoints.forEach((point, index) => {
      const [x, y] = applySimilarity(fitted, point);
      const [ex, ey] = ARCFACE_112_TEMPLATE[index] as Point;
      close(x, ex, 1e-9);
      close(y, ey, 1e-9);
    });
    close(Math.hypot(fitted.a, fitted.b), 1 / 2.5);
    close((Math.atan2(fitted.b, fitted.a) * 180) / Math.PI, 40);
  });

  it('is the least-squares fit when no similarity is exact: nudging it never lowers the error', () => {
    const source: Point[] = [
      [0, 0],
      [10, 0],
      [5, 6],
      [1, 11],
      [9, 12],
    ];
    const target: Point[] = [
      [3, 2],
      [14, 3.5],
      [8, 9],
      [2.5, 14],
      [13, 15.5],
    ];
    const fitted = fitSimilarity(source, target);
    const error = (t: Similarity) =>
      source.reduce((sum, point, index) => {
        const [x, y] = applySimilarity(t, point);
        const [ex, ey] = target[index] as Point;
        return sum + (x - ex) ** 2 + (y - ey) ** 2;
      }, 0);
    const best = error(fitted);
    assert.ok(best > 0.01, 'the points were chosen so that no similarity fits exactly');
    for (const field of ['a', 'b', 'tx', 'ty'] as const)
      for (const step of [1e-3, -1e-3]) assert.ok(error({ ...fitted, [field]: fitted[field] + step }) > best);
  });

  it('refuses points that coincide or do not pair up', () => {
    assert.throws(
      () =>
        fitSimilarity(
          [
            [1, 1],
            [1, 1],
          ],
          [
            [0, 0],
            [5, 5],
          ],
        ),
      /coincide/,
    );
    assert.throws(() => fitSimilarity([[1, 1]], [[0, 0]]), /two or more/);
    assert.throws(
      () =>
        fitSimilarity(
          [
            [1, 1],
            [2, 2],
          ],
          [[0, 0]],
        ),
      /two or more/,
    );
  });

  it('has an inverse that takes template pixels back to the photo', () => {
    const transform = similarity(0.3, 25, -40, 10);
    const inverse = inverseAffine(transform);
    for (const point of [
      [0, 0],
      [111, 0],
      [56, 71.7],
    ] as Point[]) {
      const [x, y] = applySimilarity(transform, point);
      close(inverse[0] * x + inverse[1] * y + inverse[2], point[0], 1e-9);
      close(inverse[3] * x + inverse[4] * y + inverse[5], point[1], 1e-9);
    }
  });

  it('takes the eyes from the lids, the nose tip and the mouth corners from 68 landmarks', () => {
    const landmarks: Point[] = Array.from({ length: 68 }, (_, index) => [index, 1000 + index]);
    const five = fivePointsFrom68(landmarks);
    assert.deepEqual(five, [
      [(37 + 38 + 40 + 41) / 4, 1000 + (37 + 38 + 40 + 41) / 4],
      [(43 + 44 + 46 + 47) / 4, 1000 + (43 + 44 + 46 + 47) / 4],
      [30, 1030],
      [54, 1054],
      [59, 1059],
    ]);
    assert.throws(() => fivePointsFrom68(landmarks.slice(0, 5)), /68 landmarks/);
  });
});
