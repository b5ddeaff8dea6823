// SCRFD decoding checked by hand: anchor points of each stride's grid, side distances and keypoints
// in strides, scaled back to the photo; overlaps suppressed; a layout that does not fit refused.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { decodeScrfd, type ScrfdStrideOutputs } from './scrfd-decode.js';

/** One stride's outputs for a size × size input, two anchors a place, with some anchors set. */
function stride(
  size: number,
  step: number,
  set: { place: [number, number]; anchor: number; score: number; sides: number[]; keypoints?: number[] }[],
): ScrfdStrideOutputs {
  const count = (size / step) ** 2 * 2;
  const scores = new Float32Array(count);
  const boxes = new Float32Array(count * 4);
  const keypoints = new Float32Array(count * 10);
  for (const entry of set) {
    const index = (entry.place[1] * (size / step) + entry.place[0]) * 2 + entry.anchor;
    scores[index] = entry.score;
    boxes.set(entry.sides, index * 4);
    if (entry.keypoints) keypoints.set(entry.keypoints, index * 10);
  }
  return { stride: step, scores, boxes, keypoints };
}

const options = {
  inputWidth: 64,
  inputHeight: 64,
  anchorsPerPlace: 2,
  scaleX: 2,
  scaleY: 2,
  minScore: 0.5,
  nmsIou: 0.4,
  maxFaces: 5,
  square: false,
};

it('places boxes and keypoints around the anchor points of each stride, in photo pixels', () => {
  const faces = decodeScrfd(
    [
      // Anchor point (16, 8) of stride 8: sides 1, 0.5, 2, 3 strides → x 8-32, y 4-32 (input px).
      stride(64, 8, [
        {
          place: [2, 1],
          anchor: 1,
          score: 0.9,
          sides: [1, 0.5, 2, 3],
          keypoints: [0, 0, 1, 0, 0.5, 1, 0, 2, 1, 2],
        },
      ]),
      // Anchor point (32, 32) of stride 16: a second face, x 24-56, y 16-48.
      stride(64, 16, [{ place: [2, 2], anchor: 0, score: 0.7, sides: [0.5, 1, 1.5, 1] }]),
    ],
    options,
  );
  assert.equal(faces.length, 2);
  assert.deepEqual(faces[0]?.box, { x: 16, y: 8, width: 48, height: 56 });
  assert.ok(Math.abs((faces[0]?.score ?? 0) - 0.9) < 1e-6);
  assert.deepEqual(faces[0]?.keypoints, [
    [32, 16],
    [48, 16],
    [40, 32],
    [32, 48],
    [48, 48],
  ]);
  assert.deepEqual(faces[1]?.box, { x: 48, y: 32, width: 64, height: 64 });
});

it('keeps the better of two overlapping faces, drops those under the floor, squares on request', () => {
  const outputs = [
    stride(64, 8, [
      { place: [2, 2], anchor: 0, score: 0.8, sides: [1, 1, 1, 1] },
      { place: [2, 2], anchor: 1, score: 0.95, sides: [1.1, 1, 1, 1] },
      { place: [6, 6], anchor: 0, score: 0.4, sides: [1, 1, 1, 1] },
    ]),
    stride(64, 16, []),
  ];
  const faces = decodeScrfd(outputs, options);
  assert.equal(faces.length, 1);
  assert.ok(Math.abs((faces[0]?.score ?? 0) - 0.95) < 1e-6);
  const square = decodeScrfd(
    [stride(64, 8, [{ place: [2, 2], anchor: 0, score: 0.8, sides: [1, 1, 1, 2] }]), stride(64, 16, [])],
    { ...options, square: true },
  );
  assert.equal(square[0]?.box.width, square[0]?.box.height);
  assert.equal(square[0]?.box.height, 48);
});

it('refuses outputs whose size does not fit the input, stride and anchors', () => {
  assert.throws(
    () => decodeScrfd([stride(32, 8, [])], options),
    /stride 8: a 64×64 input with 2 anchors a place has 128 anchors; the detector gave 32 scores/,
  );
});
