// A `corner-boxes` detector's outputs → face boxes in photo pixels: keep scores at or above the
// floor, non-maximum suppression, then each box made square (side = its height, same centre), as the
// landmark net of this layout expects.
import type { Box, FoundFace } from '../face-detector.js';

export interface CornerBoxOutputs {
  /** [N × classes] probabilities. */
  scores: Float32Array;
  classes: number;
  /** [N × 4] x1, y1, x2, y2 in [0, 1] of the net's input. */
  boxes: Float32Array;
}

export interface CornerBoxOptions {
  faceColumn: number;
  minScore: number;
  nmsIou: number;
  maxFaces: number;
  /** The photo's size: boxes are scaled back to it (the photo was stretched to the input). */
  width: number;
  height: number;
}

export function intersectionOverUnion(a: Box, b: Box): number {
  const left = Math.max(a.x, b.x);
  const top = Math.max(a.y, b.y);
  const right = Math.min(a.x + a.width, b.x + b.width);
  const bottom = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, right - left) * Math.max(0, bottom - top);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy NMS over faces sorted best first: a face overlapping a kept one by more than `iou` goes. */
export function suppressOverlaps<F extends FoundFace>(faces: readonly F[], iou: number, limit: number): F[] {
  const kept: F[] = [];
  for (const face of [...faces].sort((a, b) => b.score - a.score)) {
    if (kept.length >= limit) break;
    if (kept.every((other) => intersectionOverUnion(face.box, other.box) <= iou)) kept.push(face);
  }
  return kept;
}

export function squareByHeight(box: Box): Box {
  const side = box.height;
  return { x: box.x + box.width / 2 - side / 2, y: box.y, width: side, height: side };
}

export function decodeCornerBoxes(outputs: CornerBoxOutputs, options: CornerBoxOptions): FoundFace[] {
  const { scores, classes, boxes } = outputs;
  if (options.faceColumn >= classes)
    throw new Error(
      `detector output has ${classes} score columns; faceColumn ${options.faceColumn} is past them`,
    );
  const count = Math.floor(scores.length / classes);
  if (boxes.length < count * 4)
    throw new Error(`detector gave ${count} scores but ${boxes.length / 4} boxes`);
  const candidates: FoundFace[] = [];
  for (let index = 0; index < count; index++) {
    const score = scores[index * classes + options.faceColumn] ?? 0;
    if (!(score >= options.minScore)) continue;
    const [x1 = 0, y1 = 0, x2 = 0, y2 = 0] = boxes.subarray(index * 4, index * 4 + 4);
    const box = {
      x: x1 * options.width,
      y: y1 * options.height,
      width: (x2 - x1) * options.width,
      height: (y2 - y1) * options.height,
    };
    if (box.width > 0 && box.height > 0) candidates.push({ box, score });
  }
  return suppressOverlaps(candidates, options.nmsIou, options.maxFaces).map((face) => ({
    ...face,
    box: squareByHeight(face.box),
  }));
}
