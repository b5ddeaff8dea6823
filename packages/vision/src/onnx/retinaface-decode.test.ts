// RetinaFace decoding checked by hand: the priors' order and places, box offsets and sizes through
// the variances, keypoints, the floor and overlap suppression, and outputs that do not fit.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { decodeRetinaFace, retinaFacePriors } from './retinaface-decode.js';

const options = {
  inputWidth: 32,
  inputHeight: 32,
  steps: [16],
  minSizes: [[8, 16]],
  variance: [0.1, 0.2] as [number, number],
  faceColumn: 1,
  scaleX: 2,
  scaleY: 2,
  minScore: 0.5,
  nmsIou: 0.4,
  maxFaces: 5,
  square: false,
};

it('lays priors out per step, row by row, one per min size, centred in their cell', () => {
  const priors = retinaFacePriors(options);
  assert.equal(priors.length, 2 * 2 * 2 * 4);
  // Row 0, column 1, second size: centre (24, 8) of 32, size 16 of 32.
  assert.deepEqual(Array.from(priors.subarray(3 * 4, 4 * 4)), [0.75, 0.25, 0.5, 0.5]);
});

it('moves and scales a prior by its offsets, keeps the best of overlapping faces', () => {
  const boxes = new Float32Array(8 * 4);
  const scores = new Float32Array(8 * 2);
  const keypoints = new Float32Array(8 * 10);
  // Prior 3 (centre 24, 8; size 16): shifted right by 0.5 × 0.1 × 16 = 0.8 px, twice as wide.
  boxes.set([0.5, 0, Math.log(2) / 0.2, 0], 3 * 4);
  scores.set([0.1, 0.9], 3 * 2);
  keypoints.set([1, 1], 3 * 10);
  // Prior 2 (same place, size 8): overlaps the face above, lower score → suppressed.
  boxes.set([0.5, 0, Math.log(4) / 0.2, Math.log(2) / 0.2], 2 * 4);
  scores.set([0.2, 0.8], 2 * 2);
  // Prior 0: under the floor.
  scores.set([0.6, 0.4], 0);
  const faces = decodeRetinaFace({ boxes, scores, classes: 2, keypoints }, options);
  assert.equal(faces.length, 1);
  const [face] = faces;
  const close = (a: number | undefined, b: number) =>
    assert.ok(Math.abs((a ?? 0) - b) < 1e-4, `${a} vs ${b}`);
  // Centre x 24.8, width 32, y 8, height 16 (input px) → ×2.
  close(face?.box.x, (24.8 - 16) * 2);
  close(face?.box.y, 0);
  close(face?.box.width, 64);
  close(face?.box.height, 32);
  // Keypoint 0: centre + 1 × 0.1 × 16 px = (25.6, 9.6) → ×2.
  close(face?.keypoints?.[0]?.[0], 51.2);
  close(face?.keypoints?.[0]?.[1], 19.2);
});

it('refuses outputs whose size does not fit the priors', () => {
  assert.throws(
    () => decodeRetinaFace({ boxes: new Float32Array(4), scores: new Float32Array(2), classes: 2 }, options),
    /has 8 priors; the detector gave 1 boxes/,
  );
});
