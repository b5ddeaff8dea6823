// BlazeFace (the 256 px model shipped inside @vladmandic/human's npm package) on face-api's tfjs.
// Only the model files are used: the graph model is read from disk through a tfjs IO handler (nothing
// is fetched; Node's fetch refuses file://) and its output decoded here, so Human's module-level
// caches and its global tfjs settings stay out of the process.
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import {
  BLAZEFACE_INPUT_SIZE,
  BLAZEFACE_VALUES_PER_ANCHOR,
  blazeFaceAnchors,
  decodeBlazeFace,
  fromWindow,
  landmarkSquare,
  refineWindow,
  type ScoredBox,
  suppressOverlaps,
} from './blazeface-decode.js';
import type { Box, FaceDetector, FoundFace } from './face-detector.js';

const require = createRequire(import.meta.url);

/** Human's package exports no path to its models: they sit beside dist/ (require resolves dist/human.node.js). */
export const BLAZEFACE_MODEL_FILE = path.join(
  path.dirname(require.resolve('@vladmandic/human')),
  '..',
  'models',
  'blazeface.json',
);

/** Faces kept per photo: enough that the large central face is among them in a crowd (README). */
export const BLAZEFACE_MAX_FACES = 5;
const IOU_THRESHOLD = 0.3;
/**
 * When the zoomed-out view is skipped: the first view found a face at least this confident, spanning
 * between these shares of the photo's shorter side — a head-and-shoulders photo (lfw-dev's faces: 0.34
 * to 0.52 of the side for 98% of photos). A face crop's face spans 0.86-1.0 of it; the parts of it
 * the first view finds instead (an eye, a cheek) are smaller than a third, sometimes with a high score.
 */
const ZOOM_SKIP = { minScore: 0.75, minShare: 0.33, maxShare: 0.6 };

interface ModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: TF.io.WeightsManifestEntry[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  userDefinedMetadata?: { signature?: object };
}

/** model.json and its weight files from disk, as one in-memory artifact. */
async function readGraphModel(file: string): Promise<TF.io.ModelArtifacts> {
  const json = JSON.parse(await fs.readFile(file, 'utf8')) as ModelJson;
  const parts: Buffer[] = [];
  for (const group of json.weightsManifest)
    for (const weightFile of group.paths)
      parts.push(await fs.readFile(path.join(path.dirname(file), weightFile)));
  const weights = Buffer.concat(parts);
  return {
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy ?? null,
    ...(json.userDefinedMetadata?.signature ? { signature: json.userDefinedMetadata.signature } : {}),
  };
}

/**
 * The network's four outputs (scores and regressors for the 16 × 16 grid's 512 anchors and the
 * 8 × 8 grid's 384) as one anchors × 17 batch, in anchor order. Picked by shape, not by name.
 */
function batchOf(tf: typeof TF, outputs: TF.Tensor[]): TF.Tensor2D {
  const find = (anchors: number, values: number) => {
    const found = outputs.find((output) => output.shape[1] === anchors && output.shape[2] === values);
    if (found === undefined)
      throw new Error(`BlazeFace model: no ${anchors}×${values} output (${outputs.map((o) => o.shape)})`);
    return found;
  };
  return tf.tidy(() => {
    const fine = tf.concat([find(512, 1), find(512, 16)], 2);
    const coarse = tf.concat([find(384, 1), find(384, 16)], 2);
    return tf.concat([fine, coarse], 1).reshape([-1, BLAZEFACE_VALUES_PER_ANCHOR]) as TF.Tensor2D;
  });
}

/** Whether a point lies inside a box. */
const holds = (box: Box, x: number, y: number) =>
  x >= box.x && x <= box.x + box.width && y >= box.y && y <= box.y + box.height;

export async function loadBlazeFaceDetector(tf: typeof TF): Promise<FaceDetector> {
  const model = await tf.loadGraphModel({ load: () => readGraphModel(BLAZEFACE_MODEL_FILE) });
  const anchors = blazeFaceAnchors();
  const size = BLAZEFACE_INPUT_SIZE;

  /** Faces in one 1 × 256 × 256 × 3 input (pixel values 0-255), in input pixels; disposes the input. */
  async function detect(input: TF.Tensor4D, minConfidence: number): Promise<ScoredBox[]> {
    const normalised = tf.tidy(() => input.div(127.5).sub(1));
    input.dispose();
    const outputs = model.execute(normalised) as TF.Tensor[];
    normalised.dispose();
    const batch = batchOf(tf, outputs);
    tf.dispose(outputs);
    const values = await batch.data();
    batch.dispose();
    return decodeBlazeFace(values, anchors, {
      minConfidence,
      maxFaces: BLAZEFACE_MAX_FACES,
      iouThreshold: IOU_THRESHOLD,
    });
  }

  return {
    name: 'blazeface',
    async find(image, minConfidence): Promise<FoundFace[]> {
      const [height = 0, width = 0] = image.shape;
      const photo = tf.tidy(() => image.toFloat().expandDims(0) as TF.Tensor4D);
      try {
        // First pass, letterboxed: scaled to fit 256 px with its aspect ratio kept, the rest black
        // (right, bottom).
        const scale = size / Math.max(width, height);
        const letterbox = { x: 0, y: 0, width: size / scale, height: size / scale };
        const found = (await detect(cropSquare(tf, photo, letterbox, size), minConfidence)).map(
          ({ box, score }) => ({ box: fromWindow(box, letterbox, size), score }),
        );
        const overlapOptions = { maxFaces: BLAZEFACE_MAX_FACES, iouThreshold: IOU_THRESHOLD };
        // Second pass: each face again at the scale BlazeFace learnt (REFINE_WINDOW_SCALE).
        // Each first-pass face is refined once, also when the zoomed-out view runs after the first.
        const refinedOnce = new Map<ScoredBox, ScoredBox>();
        const refineAll = async (faces: ScoredBox[]): Promise<ScoredBox[]> => {
          const refined: ScoredBox[] = [];
          for (const face of suppressOverlaps(faces, overlapOptions)) {
            let again = refinedOnce.get(face);
            if (again === undefined) {
              const window = refineWindow(face.box);
              again =
                (await detect(cropSquare(tf, photo, window, size), minConfidence))
                  .map(({ box, score }) => ({ box: fromWindow(box, window, size), score }))
                  .find(({ box }) => holds(face.box, box.x + box.width / 2, box.y + box.height / 2)) ?? face;
              refinedOnce.set(face, again);
            }
            refined.push(again);
          }
          return suppressOverlaps(refined, overlapOptions);
        };
        const asFound = (faces: ScoredBox[]): FoundFace[] =>
          faces.map(({ box, score }) => ({ box: landmarkSquare(box), score }));
        // A face filling the photo (a face crop) fills the whole input, larger than any BlazeFace
        // learnt: it then finds parts of it (an eye, a cheek) or nothing. So unless the first view
        // found a confident face of ordinary size (ZOOM_SKIP: a head-and-shoulders photo, where a
        // second view would find that face again at a fifth of the detection time), the photo is also
        // looked at inside a square of twice its longer side (the rest black), where such a face fills
        // half. A face both views find is kept once, from the more confident one (measured: keeping the
        // first view's box instead cost seed-gray pair AUC 0.881 → 0.867, ORL 0.9998 → 0.9954).
        const ordinaryFace = (face: ScoredBox) => {
          const share = Math.max(face.box.width, face.box.height) / Math.min(width, height);
          return (
            face.score >= ZOOM_SKIP.minScore && share >= ZOOM_SKIP.minShare && share <= ZOOM_SKIP.maxShare
          );
        };
        const firstView = await refineAll(found);
        if (firstView.some(ordinaryFace)) return asFound(firstView);
        const zoomedOut = refineWindow({ x: 0, y: 0, width, height });
        for (const face of await detect(cropSquare(tf, photo, zoomedOut, size), minConfidence))
          found.push({ box: fromWindow(face.box, zoomedOut, size), score: face.score });
        return asFound(await refineAll(found));
      } finally {
        photo.dispose();
      }
    },
  };
}

/**
 * A square region of the photo (pixels, may reach past it: black there) resized to size × size.
 */
function cropSquare(tf: typeof TF, photo: TF.Tensor4D, region: Box, size: number): TF.Tensor4D {
  const [, height = 1, width = 1] = photo.shape;
  // cropAndResize's coordinates are shares of (side - 1): 0 is the first pixel's centre, 1 the last's.
  const y = (value: number) => value / Math.max(1, height - 1);
  const x = (value: number) => value / Math.max(1, width - 1);
  const [top, left] = [region.y, region.x];
  const [bottom, right] = [region.y + region.height - 1, region.x + region.width - 1];
  return tf.image.cropAndResize(
    photo,
    [[y(top), x(left), y(bottom), x(right)]],
    [0],
    [size, size],
    'bilinear',
    0,
  );
}
