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
  landmarkSquare,
} from './blazeface-decode.js';
import type { FaceDetector, FoundFace } from './face-detector.js';

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

export async function loadBlazeFaceDetector(tf: typeof TF): Promise<FaceDetector> {
  const model = await tf.loadGraphModel({ load: () => readGraphModel(BLAZEFACE_MODEL_FILE) });
  const anchors = blazeFaceAnchors();
  const size = BLAZEFACE_INPUT_SIZE;
  return {
    name: 'blazeface',
    async find(image, minConfidence): Promise<FoundFace[]> {
      const [height, width] = image.shape;
      // Letterboxed: scaled to fit 256 px with its aspect ratio kept, the rest black (right, bottom).
      const scale = size / Math.max(width, height);
      const input = tf.tidy(() => {
        const resized = tf.image.resizeBilinear(image.toFloat(), [
          Math.max(1, Math.round(height * scale)),
          Math.max(1, Math.round(width * scale)),
        ]);
        const [rows = 0, columns = 0] = resized.shape;
        const square = tf.pad(resized, [
          [0, size - rows],
          [0, size - columns],
          [0, 0],
        ]);
        return square.div(127.5).sub(1).expandDims(0);
      });
      const outputs = model.execute(input) as TF.Tensor[];
      input.dispose();
      const batch = batchOf(tf, outputs);
      tf.dispose(outputs);
      const values = await batch.data();
      batch.dispose();
      return decodeBlazeFace(values, anchors, {
        minConfidence,
        maxFaces: BLAZEFACE_MAX_FACES,
        iouThreshold: IOU_THRESHOLD,
      }).map(({ box, score }) => {
        const square = landmarkSquare(box);
        return {
          score,
          box: {
            x: square.x / scale,
            y: square.y / scale,
            width: square.width / scale,
            height: square.height / scale,
          },
        };
      });
    },
  };
}
