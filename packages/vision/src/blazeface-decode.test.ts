// BlazeFace's output decoding on hand-made outputs: anchors, confidence floor, suppression, limit;
// the refinement window's geometry.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BLAZEFACE_VALUES_PER_ANCHOR,
  blazeFaceAnchors,
  decodeBlazeFace,
  fromWindow,
  landmarkSquare,
  REFINE_WINDOW_SCALE,
  refineWindow,
  suppressOverlaps,
} from './blazeface-decode.js';

const anchors = blazeFaceAnchors();
const logit = (score: number) => Math.log(score / (1 - score));

/** An output where every anchor is confidently empty, plus the given faces. */
function output(faces: { anchor: number; score: number; dx: number; dy: number; w: number; h: number }[]) {
  const batch = new Float32Array(anchors.length * BLAZEFACE_VALUES_PER_ANCHOR);
  for (let index = 0; index < anchors.length; index++) batch[index * BLAZEFACE_VALUES_PER_ANCHOR] = -20;
  for (const face of faces)
    batch.set(
      [logit(face.score), face.dx, face.dy, face.w, face.h],
      face.anchor * BLAZEFACE_VALUES_PER_ANCHOR,
    );
  return batch;
}

const options = { minConfidence: 0.5, maxFaces: 5, iouThreshold: 0.3 };

describe('BlazeFace decoding', () => {
  it('has 896 anchors: 16×16 cells of 2 at stride 16, then 8×8 cells of 6 at stride 32', () => {
    assert.equal(anchors.length, 16 * 16 * 2 + 8 * 8 * 6);
    assert.deepEqual(anchors[0], [8, 8]);
    assert.deepEqual(anchors[2], [24, 8]);
    assert.deepEqual(anchors[512], [16, 16]);
    assert.deepEqual(anchors.at(-1), [240, 240]);
  });

  it('turns offsets from the anchor and sizes into boxes, best first, above the floor', () => {
    const faces = decodeBlazeFace(
      output([
        { anchor: 512 + 6 * 9, score: 0.9, dx: 2, dy: -4, w: 40, h: 50 }, // cell (1, 1) of the 8×8 grid
        { anchor: 10, score: 0.97, dx: 0, dy: 0, w: 20, h: 20 },
        { anchor: 300, score: 0.3, dx: 0, dy: 0, w: 30, h: 30 },
      ]),
      anchors,
      options,
    );
    assert.equal(faces.length, 2, 'the 0.3 face is under the floor');
    assert.ok(Math.abs((faces[0]?.score ?? 0) - 0.97) < 1e-6);
    const [x, y] = anchors[10] ?? [0, 0];
    assert.deepEqual(faces[0]?.box, { x: x - 10, y: y - 10, width: 20, height: 20 });
    assert.deepEqual(faces[1]?.box, { x: 48 + 2 - 20, y: 48 - 4 - 25, width: 40, height: 50 });
  });

  it('keeps one box of overlapping ones, and at most maxFaces', () => {
    const overlapping = decodeBlazeFace(
      output([
        { anchor: 100, score: 0.9, dx: 0, dy: 0, w: 40, h: 40 },
        { anchor: 101, score: 0.8, dx: 1, dy: 1, w: 40, h: 40 }, // same cell, the same face
      ]),
      anchors,
      options,
    );
    assert.equal(overlapping.length, 1);
    const many = Array.from({ length: 8 }, (_, index) => ({
      anchor: index * 60,
      score: 0.9,
      dx: 0,
      dy: 0,
      w: 10,
      h: 10,
    }));
    assert.equal(decodeBlazeFace(output(many), anchors, options).length, 5);
  });

  it('squares a box on its longer side about its centre', () => {
    assert.deepEqual(landmarkSquare({ x: 10, y: 20, width: 40, height: 60 }), {
      x: 0,
      y: 20,
      width: 60,
      height: 60,
    });
  });

  it('finds a face again in a square twice its longer side, centred on it, reaching past the photo', () => {
    assert.equal(REFINE_WINDOW_SCALE, 2);
    // A 150 × 120 box filling most of a 160 px crop: the window reaches 75 px past its left edge.
    assert.deepEqual(refineWindow({ x: 5, y: 20, width: 150, height: 120 }), {
      x: -70,
      y: -70,
      width: 300,
      height: 300,
    });
    assert.deepEqual(refineWindow({ x: 10, y: 10, width: 20, height: 40 }, 3), {
      x: -40,
      y: -30,
      width: 120,
      height: 120,
    });
  });

  it('maps a box found in a window (resized to the input size) back into the photo', () => {
    const window = { x: -70, y: -70, width: 300, height: 300 };
    // The window's central half (input pixels 64-192) is the photo's 5-155 (300 / 256 px a pixel).
    const box = fromWindow({ x: 64, y: 64, width: 128, height: 128 }, window, 256);
    assert.ok(Math.abs(box.x - 5) < 1e-9 && Math.abs(box.y - 5) < 1e-9, `${box.x}, ${box.y}`);
    assert.ok(Math.abs(box.width - 150) < 1e-9 && Math.abs(box.height - 150) < 1e-9);
    // The letterbox of the first pass is a window at the origin as large as the longer side.
    assert.deepEqual(
      fromWindow({ x: 128, y: 0, width: 64, height: 32 }, { x: 0, y: 0, width: 512, height: 512 }),
      {
        x: 256,
        y: 0,
        width: 128,
        height: 64,
      },
    );
  });

  it('keeps the better of refined boxes that became the same face', () => {
    const kept = suppressOverlaps(
      [
        { box: { x: 0, y: 0, width: 100, height: 100 }, score: 0.7 },
        { box: { x: 5, y: 5, width: 100, height: 100 }, score: 0.9 },
        { box: { x: 300, y: 0, width: 100, height: 100 }, score: 0.8 },
      ],
      { maxFaces: 5, iouThreshold: 0.3 },
    );
    assert.deepEqual(
      kept.map((face) => face.score),
      [0.9, 0.8],
    );
  });
});
