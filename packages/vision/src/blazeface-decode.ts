// BlazeFace's raw output → face boxes. Pure arithmetic on plain arrays (no tfjs), so it is tested
// directly and serves any runtime that executes the same network.
//
// The network (256 × 256 input) predicts, for each of 896 anchors, a logit and 16 regressors: the box
// centre's offset from its anchor (x, y), the box size (w, h) and six keypoints, all in input pixels.
// Anchors: a 16 × 16 grid (stride 16) with 2 anchors per cell, then an 8 × 8 grid (stride 32) with 6.
import type { Box } from './face-detector.js';

export const BLAZEFACE_INPUT_SIZE = 256;
const GRIDS = [
  { stride: 16, perCell: 2 },
  { stride: 32, perCell: 6 },
] as const;
/** Values per anchor in the decoded batch: the logit, then the 16 regressors. */
export const BLAZEFACE_VALUES_PER_ANCHOR = 17;

/** Anchor centres in input pixels, in the network's output order. */
export function blazeFaceAnchors(inputSize = BLAZEFACE_INPUT_SIZE): [number, number][] {
  const anchors: [number, number][] = [];
  for (const { stride, perCell } of GRIDS) {
    const cells = Math.ceil(inputSize / stride);
    for (let row = 0; row < cells; row++) {
      for (let column = 0; column < cells; column++) {
        for (let n = 0; n < perCell; n++) anchors.push([stride * (column + 0.5), stride * (row + 0.5)]);
      }
    }
  }
  return anchors;
}

export interface ScoredBox {
  box: Box;
  score: number;
}

const sigmoid = (logit: number) => 1 / (1 + Math.exp(-logit));

function intersectionOverUnion(a: Box, b: Box): number {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (width <= 0 || height <= 0) return 0;
  const intersection = width * height;
  return intersection / (a.width * a.height + b.width * b.height - intersection);
}

export interface DecodeOptions {
  minConfidence: number;
  maxFaces: number;
  /** Boxes overlapping a better one by more than this (IoU) are the same face. */
  iouThreshold: number;
}

/**
 * Boxes (input pixels) above the confidence floor, best first, after greedy non-maximum suppression.
 * `batch` holds anchors.length rows of BLAZEFACE_VALUES_PER_ANCHOR values.
 */
export function decodeBlazeFace(
  batch: ArrayLike<number>,
  anchors: readonly [number, number][],
  options: DecodeOptions,
): ScoredBox[] {
  const candidates: ScoredBox[] = [];
  anchors.forEach(([anchorX, anchorY], index) => {
    const row = index * BLAZEFACE_VALUES_PER_ANCHOR;
    const score = sigmoid(batch[row] ?? Number.NEGATIVE_INFINITY);
    if (!(score >= options.minConfidence)) return;
    const centreX = anchorX + (batch[row + 1] ?? 0);
    const centreY = anchorY + (batch[row + 2] ?? 0);
    const width = batch[row + 3] ?? 0;
    const height = batch[row + 4] ?? 0;
    if (!(width > 0 && height > 0)) return;
    candidates.push({ box: { x: centreX - width / 2, y: centreY - height / 2, width, height }, score });
  });
  return suppressOverlaps(candidates, options);
}

/** Best first, dropping boxes that overlap a better one (greedy non-maximum suppression). */
export function suppressOverlaps(
  faces: readonly ScoredBox[],
  options: Pick<DecodeOptions, 'maxFaces' | 'iouThreshold'>,
): ScoredBox[] {
  const kept: ScoredBox[] = [];
  for (const candidate of [...faces].sort((a, b) => b.score - a.score)) {
    if (kept.length >= options.maxFaces) break;
    if (kept.every((face) => intersectionOverUnion(face.box, candidate.box) <= options.iouThreshold))
      kept.push(candidate);
  }
  return kept;
}

/**
 * BlazeFace (the short-range model) learnt faces that fill part of the frame. A face filling the
 * whole photo (a tight crop: ORL, the seed's crops) is still found, but its box is off (too small,
 * shifted towards a side), and the 68-landmark net given that box returns landmarks off the face.
 * So every face of the first pass is found again in a square window this many times its box's
 * longer side, centred on it (the part outside the photo black): the face then fills about half of
 * the network's input, as in its training, whatever the photo's framing (measured on seed-gray crops:
 * 2× gives boxes that agree in size and centre across photos; the plain pass was off by up to 40%).
 */
export const REFINE_WINDOW_SCALE = 2;

/** The square window (photo pixels, may reach past the photo) a face is found again in. */
export function refineWindow(box: Box, scale = REFINE_WINDOW_SCALE): Box {
  const side = Math.max(box.width, box.height) * scale;
  return {
    x: box.x + box.width / 2 - side / 2,
    y: box.y + box.height / 2 - side / 2,
    width: side,
    height: side,
  };
}

/** A box found in a window resized to `inputSize` px, back in photo pixels. */
export function fromWindow(box: Box, window: Box, inputSize = BLAZEFACE_INPUT_SIZE): Box {
  const scale = window.width / inputSize;
  return {
    x: window.x + box.x * scale,
    y: window.y + box.y * scale,
    width: box.width * scale,
    height: box.height * scale,
  };
}

/**
 * The square face-api's 68-landmark net is given: BlazeFace's box squared on its longer side, about
 * its centre. (Human enlarges this box 1.4× for its face mesh; face-api's nets want the face itself:
 * shrinking Human's box by 1.4 measured best, and that is this square.)
 */
export function landmarkSquare(box: Box): Box {
  const side = Math.max(box.width, box.height);
  return {
    x: box.x + box.width / 2 - side / 2,
    y: box.y + box.height / 2 - side / 2,
    width: side,
    height: side,
  };
}
