// An `scrfd` detector's outputs → faces in photo pixels. SCRFD (InsightFace's det_*.onnx) predicts,
// for every anchor point of each stride's grid, a face score, the distances from the point to the
// box's four sides and optionally five keypoints as offsets, all in units of the stride. The anchor
// points are the grid's corners (x·stride, y·stride), `anchorsPerPlace` of them at each place, in
// row-major order — InsightFace's own decoding, which this mirrors.
import type { Box, FoundFace } from '../face-detector.js';
import { squareByHeight, suppressOverlaps } from './corner-box-decode.js';

export interface ScrfdStrideOutputs {
  stride: number;
  /** [N] face scores (already probabilities). */
  scores: Float32Array;
  /** [N × 4] distances to the left, top, right and bottom sides, in strides. */
  boxes: Float32Array;
  /** [N × 10] five keypoints as (dx, dy) from the anchor point, in strides. */
  keypoints?: Float32Array;
}

/** What both anchor layouts' decoders (SCRFD, RetinaFace) need besides their own grid. */
export interface AnchorDecodingOptions {
  /** The net's input size (each grid is laid over it). */
  inputWidth: number;
  inputHeight: number;
  /** Photo pixels per input pixel, across and down (equal for a letterboxed photo). */
  scaleX: number;
  scaleY: number;
  minScore: number;
  nmsIou: number;
  maxFaces: number;
  /** Make boxes square (side = height) for a 68-landmark net that reads square crops. */
  square: boolean;
}

export interface ScrfdOptions extends AnchorDecodingOptions {
  anchorsPerPlace: number;
}

export interface ScrfdFace extends FoundFace {
  /** Left eye, right eye, nose tip, left and right mouth corners (photo pixels), when the net gives them. */
  keypoints?: [number, number][];
}

export function decodeScrfd(outputs: readonly ScrfdStrideOutputs[], options: ScrfdOptions): ScrfdFace[] {
  const { anchorsPerPlace: perPlace, scaleX, scaleY } = options;
  const candidates: ScrfdFace[] = [];
  for (const { stride, scores, boxes, keypoints } of outputs) {
    const columns = Math.ceil(options.inputWidth / stride);
    const rows = Math.ceil(options.inputHeight / stride);
    const count = columns * rows * perPlace;
    if (
      scores.length !== count ||
      boxes.length !== count * 4 ||
      (keypoints && keypoints.length !== count * 10)
    )
      throw new Error(
        `stride ${stride}: a ${options.inputWidth}×${options.inputHeight} input with ${perPlace} anchors a place has ${count} anchors; ` +
          `the detector gave ${scores.length} scores, ${boxes.length / 4} boxes${keypoints ? `, ${keypoints.length / 10} keypoint sets` : ''}`,
      );
    for (let index = 0; index < count; index++) {
      const score = scores[index] ?? 0;
      if (!(score >= options.minScore)) continue;
      const place = Math.floor(index / perPlace);
      const cx = (place % columns) * stride;
      const cy = Math.floor(place / columns) * stride;
      const [left = 0, top = 0, right = 0, bottom = 0] = boxes.subarray(index * 4, index * 4 + 4);
      const box: Box = {
        x: (cx - left * stride) * scaleX,
        y: (cy - top * stride) * scaleY,
        width: (left + right) * stride * scaleX,
        height: (top + bottom) * stride * scaleY,
      };
      if (!(box.width > 0 && box.height > 0)) continue;
      const face: ScrfdFace = { box, score };
      if (keypoints)
        face.keypoints = Array.from({ length: 5 }, (_, point) => [
          (cx + (keypoints[index * 10 + point * 2] ?? 0) * stride) * scaleX,
          (cy + (keypoints[index * 10 + point * 2 + 1] ?? 0) * stride) * scaleY,
        ]);
      candidates.push(face);
    }
  }
  const kept = suppressOverlaps(candidates, options.nmsIou, options.maxFaces);
  return options.square ? kept.map((face) => ({ ...face, box: squareByHeight(face.box) })) : kept;
}
