// A `retinaface` detector's outputs → faces in photo pixels. RetinaFace predicts, for every prior box
// of its grid, offsets of the face box from the prior (scaled by the variances), a face probability
// and optionally five keypoints; this mirrors the reference decoding (priors per step, row by row,
// one per min size, centred in their cell).
import { squareByHeight, suppressOverlaps } from './corner-box-decode.js';
import type { AnchorDecodingOptions, ScrfdFace } from './scrfd-decode.js';

export interface RetinaFaceOutputs {
  /** [N × 4] dx, dy, dw, dh of each prior. */
  boxes: Float32Array;
  /** [N × classes] probabilities. */
  scores: Float32Array;
  classes: number;
  /** [N × 10] five keypoints as offsets from the prior's centre. */
  keypoints?: Float32Array;
}

export interface RetinaFaceOptions extends AnchorDecodingOptions {
  steps: readonly number[];
  minSizes: readonly (readonly number[])[];
  variance: readonly [number, number];
  faceColumn: number;
}

/** Prior boxes as centre x, y, width, height in [0, 1] of the input, in the net's order. */
export function retinaFacePriors(
  options: Pick<RetinaFaceOptions, 'inputWidth' | 'inputHeight' | 'steps' | 'minSizes'>,
): Float32Array {
  const { inputWidth: width, inputHeight: height } = options;
  const priors: number[] = [];
  options.steps.forEach((step, level) => {
    const rows = Math.ceil(height / step);
    const columns = Math.ceil(width / step);
    for (let row = 0; row < rows; row++)
      for (let column = 0; column < columns; column++)
        for (const size of options.minSizes[level] ?? [])
          priors.push(
            ((column + 0.5) * step) / width,
            ((row + 0.5) * step) / height,
            size / width,
            size / height,
          );
  });
  return Float32Array.from(priors);
}

export function decodeRetinaFace(outputs: RetinaFaceOutputs, options: RetinaFaceOptions): ScrfdFace[] {
  const priors = retinaFacePriors(options);
  const count = priors.length / 4;
  const { boxes, scores, classes, keypoints } = outputs;
  if (options.faceColumn >= classes)
    throw new Error(
      `detector output has ${classes} score columns; faceColumn ${options.faceColumn} is past them`,
    );
  if (
    boxes.length !== count * 4 ||
    scores.length !== count * classes ||
    (keypoints && keypoints.length !== count * 10)
  )
    throw new Error(
      `a ${options.inputWidth}×${options.inputHeight} input with these steps and min sizes has ${count} priors; ` +
        `the detector gave ${boxes.length / 4} boxes, ${scores.length / classes} scores${keypoints ? `, ${keypoints.length / 10} keypoint sets` : ''}`,
    );
  const [centreVariance, sizeVariance] = options.variance;
  const toX = (value: number) => value * options.inputWidth * options.scaleX;
  const toY = (value: number) => value * options.inputHeight * options.scaleY;
  const candidates: ScrfdFace[] = [];
  for (let index = 0; index < count; index++) {
    const score = scores[index * classes + options.faceColumn] ?? 0;
    if (!(score >= options.minScore)) continue;
    const [px = 0, py = 0, pw = 0, ph = 0] = priors.subarray(index * 4, index * 4 + 4);
    const [dx = 0, dy = 0, dw = 0, dh = 0] = boxes.subarray(index * 4, index * 4 + 4);
    const cx = px + dx * centreVariance * pw;
    const cy = py + dy * centreVariance * ph;
    const w = pw * Math.exp(dw * sizeVariance);
    const h = ph * Math.exp(dh * sizeVariance);
    const box = { x: toX(cx - w / 2), y: toY(cy - h / 2), width: toX(w), height: toY(h) };
    if (!(box.width > 0 && box.height > 0)) continue;
    const face: ScrfdFace = { box, score };
    if (keypoints)
      face.keypoints = Array.from({ length: 5 }, (_, point) => [
        toX(px + (keypoints[index * 10 + point * 2] ?? 0) * centreVariance * pw),
        toY(py + (keypoints[index * 10 + point * 2 + 1] ?? 0) * centreVariance * ph),
      ]);
    candidates.push(face);
  }
  const kept = suppressOverlaps(candidates, options.nmsIou, options.maxFaces);
  return options.square ? kept.map((face) => ({ ...face, box: squareByHeight(face.box) })) : kept;
}
