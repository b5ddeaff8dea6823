import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeCornerBoxes, intersectionOverUnion, squareByHeight } from './corner-box-decode.js';

describe('corner-box detector outputs', () => {
  it('keeps faces over the floor, suppresses overlaps and squares boxes in photo pixels', () => {
    const scores = Float32Array.from([0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.5, 0.5]);
    const boxes = Float32Array.from(
      [
        [0.1, 0.1, 0.3, 0.5], // face 0.9
        [0.11, 0.12, 0.31, 0.5], // same face, 0.8: suppressed
        [0.6, 0.2, 0.8, 0.4], // another face, 0.7
        [0.0, 0.0, 1.0, 1.0], // 0.5: under the floor
      ].flat(),
    );
    const faces = decodeCornerBoxes(
      { scores, classes: 2, boxes },
      { faceColumn: 1, minScore: 0.65, nmsIou: 0.4, maxFaces: 5, width: 200, height: 100 },
    );
    assert.equal(faces.length, 2);
    assert.ok(Math.abs((faces[0]?.score ?? 0) - 0.9) < 1e-6);
    // 40 × 40 px box at (20, 10) squared by its height (40): unchanged width 40.
    const first = faces[0]?.box;
    assert.ok(first);
    assert.ok(Math.abs(first.x - 20) < 1e-4 && Math.abs(first.y - 10) < 1e-4);
    assert.ok(Math.abs(first.width - 40) < 1e-4 && Math.abs(first.height - 40) < 1e-4);
    // 40 × 20 px at (120, 20): squared to 20 × 20 around its centre x 140.
    const second = faces[1]?.box;
    assert.ok(second);
    assert.ok(Math.abs(second.x - 130) < 1e-4 && Math.abs(second.width - 20) < 1e-4);
  });

  it('caps the number of faces and checks the layout', () => {
    const scores = Float32Array.from([0, 0.9, 0, 0.8]);
    const boxes = Float32Array.from([0, 0, 0.1, 0.1, 0.5, 0.5, 0.6, 0.6]);
    const options = { faceColumn: 1, minScore: 0.5, nmsIou: 0.4, maxFaces: 1, width: 10, height: 10 };
    assert.equal(decodeCornerBoxes({ scores, classes: 2, boxes }, options).length, 1);
    assert.throws(
      () => decodeCornerBoxes({ scores, classes: 2, boxes }, { ...options, faceColumn: 2 }),
      /faceColumn 2/,
    );
    assert.throws(
      () => decodeCornerBoxes({ scores, classes: 2, boxes: boxes.subarray(0, 4) }, options),
      /boxes/,
    );
  });

  it('measures overlap and squares by height', () => {
    const a = { x: 0, y: 0, width: 10, height: 10 };
    assert.equal(intersectionOverUnion(a, a), 1);
    assert.equal(intersectionOverUnion(a, { x: 5, y: 0, width: 10, height: 10 }), 50 / 150);
    assert.equal(intersectionOverUnion(a, { x: 20, y: 20, width: 1, height: 1 }), 0);
    assert.deepEqual(squareByHeight({ x: 10, y: 5, width: 20, height: 30 }), {
      x: 5,
      y: 5,
      width: 30,
      height: 30,
    });
  });
});
