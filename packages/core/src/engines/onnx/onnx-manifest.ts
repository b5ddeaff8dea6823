// The contract of an operator-installed ONNX face model: a folder holding `manifest.json` and the
// .onnx files it names. One TypeBox schema; everything the engine does with the nets' tensors (input
// size, channel order, normalisation, output layout) comes from here, so the code has no model baked
// in. No heavy imports: the configuration module and the API read manifests too.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { parseWithSchema, SchemaError } from '../../schema.js';
import type { OnnxEngineId } from '../face-engine-id.js';

/** The standard ArcFace 112×112 reference points: eye centres, nose tip, mouth corners (InsightFace). */
export const ARCFACE_112_TEMPLATE: readonly (readonly [number, number])[] = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

const FileName = Type.String({
  pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*\\.onnx$',
  maxLength: 200,
  description: 'An .onnx file in the model folder (no path separators)',
});

const TensorName = Type.String({ minLength: 1, maxLength: 200 });

/** value → (value − mean[c]) / std[c] per channel, pixels as 0-255 bytes. */
const Normalisation = Type.Object(
  {
    mean: Type.Array(Type.Number(), { minItems: 1, maxItems: 3 }),
    std: Type.Array(Type.Number({ exclusiveMinimum: 0 }), { minItems: 1, maxItems: 3 }),
  },
  { additionalProperties: false },
);

const Colour = Type.Union([Type.Literal('rgb'), Type.Literal('bgr')]);

/**
 * `corner-boxes`: `scores` [1, N, classes] (column `faceColumn` is the face probability) and `boxes`
 * [1, N, 4] already decoded as x1, y1, x2, y2 in [0, 1] of the input (UltraFace / version-RFB style).
 */
const CornerBoxesOutput = Type.Object(
  {
    layout: Type.Literal('corner-boxes'),
    scores: TensorName,
    boxes: TensorName,
    faceColumn: Type.Integer({ minimum: 0, maximum: 16 }),
  },
  { additionalProperties: false },
);

/**
 * `scrfd`: InsightFace's SCRFD (det_*.onnx) and nets decoded like it: per stride, scores [N, 1],
 * distances to the box sides [N, 4] and optionally five keypoints [N, 10], in strides from the
 * anchor points of the stride's grid (`anchorsPerPlace` at each; a leading batch dimension is fine).
 */
/**
 * `retinaface`: RetinaFace exports (e.g. the widely used PyTorch one): `boxes` [1, N, 4] as offsets
 * from prior boxes scaled by `variance`, `scores` [1, N, classes] (column `faceColumn` is the face
 * probability) and optionally `keypoints` [1, N, 10]. The priors are laid out per step, row by row,
 * one per min size, centred in their cell: `steps` [8, 16, 32] and `minSizes` [[16, 32], [64, 128],
 * [256, 512]] for the usual export, `variance` [0.1, 0.2].
 */
const RetinaFaceOutput = Type.Object(
  {
    layout: Type.Literal('retinaface'),
    boxes: TensorName,
    scores: TensorName,
    faceColumn: Type.Integer({ minimum: 0, maximum: 16 }),
    keypoints: Type.Optional(TensorName),
    steps: Type.Array(Type.Integer({ minimum: 1, maximum: 512 }), { minItems: 1, maxItems: 8 }),
    minSizes: Type.Array(Type.Array(Type.Number({ exclusiveMinimum: 0 }), { minItems: 1, maxItems: 8 }), {
      minItems: 1,
      maxItems: 8,
    }),
    variance: Type.Tuple([Type.Number({ exclusiveMinimum: 0 }), Type.Number({ exclusiveMinimum: 0 })]),
  },
  { additionalProperties: false },
);

const ScrfdOutput = Type.Object(
  {
    layout: Type.Literal('scrfd'),
    anchorsPerPlace: Type.Integer({ minimum: 1, maximum: 16 }),
    strides: Type.Array(
      Type.Object(
        {
          stride: Type.Integer({ minimum: 1, maximum: 512 }),
          scores: TensorName,
          boxes: TensorName,
          keypoints: Type.Optional(TensorName),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 8 },
    ),
  },
  { additionalProperties: false },
);

export const OnnxManifestSchema = Type.Object(
  {
    /** Folder name is the model's name; this is free text for people. */
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    /** Where the weights come from and under which terms: shown in /v1/models. */
    licence: Type.Optional(Type.String({ maxLength: 2000 })),
    detector: Type.Object(
      {
        file: FileName,
        input: Type.Object(
          {
            name: TensorName,
            width: Type.Integer({ minimum: 16, maximum: 4096 }),
            height: Type.Integer({ minimum: 16, maximum: 4096 }),
            colour: Colour,
            normalisation: Normalisation,
            /**
             * NCHW float32. `stretch` (default): the photo stretched to width × height; `letterbox`:
             * scaled to fit with its proportions kept, top-left, the rest black (SCRFD's way).
             */
            resize: Type.Optional(Type.Union([Type.Literal('stretch'), Type.Literal('letterbox')])),
          },
          { additionalProperties: false },
        ),
        output: Type.Union([CornerBoxesOutput, ScrfdOutput, RetinaFaceOutput]),
        minScore: Type.Number({ minimum: 0, maximum: 1 }),
        nmsIou: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
        /** Faces kept per photo, best-scored first (default 5, as BlazeFace). */
        maxFaces: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
      },
      { additionalProperties: false },
    ),
    /**
     * A 68-point landmark net run on each (square) face box. Optional when the detector gives five
     * keypoints (an `scrfd` detector with `keypoints` on every stride): they align the face instead.
     */
    landmarks: Type.Optional(
      Type.Object(
        {
          file: FileName,
          input: Type.Object(
            {
              name: TensorName,
              /** The face box made square (side = its height, same centre), resized to size × size. */
              size: Type.Integer({ minimum: 16, maximum: 1024 }),
              colour: Type.Union([Type.Literal('grey'), Colour]),
              normalisation: Normalisation,
            },
            { additionalProperties: false },
          ),
          output: Type.Object(
            {
              name: TensorName,
              /** 68 points in iBUG 300-W order, as x0, y0, x1, y1, … relative to the square box (0-1). */
              points: Type.Literal(68),
            },
            { additionalProperties: false },
          ),
        },
        { additionalProperties: false },
      ),
    ),
    recognition: Type.Object(
      {
        file: FileName,
        input: Type.Object(
          {
            name: TensorName,
            size: Type.Literal(112),
            colour: Colour,
            normalisation: Normalisation,
          },
          { additionalProperties: false },
        ),
        output: Type.Object(
          {
            name: TensorName,
            size: Type.Integer({ minimum: 2, maximum: 4096 }),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
    /** The only alignment: a least-squares 5-point similarity to ARCFACE_112_TEMPLATE. */
    alignment: Type.Literal('arcface-112-similarity'),
    /**
     * `cosine`: embeddings are L2-normalised and compared by 1 − cos; `euclidean`: raw vectors,
     * Euclidean distance.
     */
    distance: Type.Union([Type.Literal('cosine'), Type.Literal('euclidean')]),
    /** Default "same person" threshold on that distance (a card or ?threshold= can override). */
    threshold: Type.Number({ exclusiveMinimum: 0, maximum: 100 }),
  },
  { additionalProperties: false },
);
export type OnnxManifest = Static<typeof OnnxManifestSchema>;

export const MANIFEST_FILE = 'manifest.json';
/** Model folder names become part of a model id (`onnx-<name>`): ids are letters, digits, _ and -. */
export const ONNX_MODEL_NAME_PATTERN = /^[A-Za-z0-9_-]{1,58}$/;
export const ONNX_MODEL_PREFIX = 'onnx-';

export class OnnxModelError extends Error {
  override name = 'OnnxModelError';
}

/** A manifest checked against the schema and its own consistency (normalisation per channel). */
export function parseOnnxManifest(value: unknown, what: string): OnnxManifest {
  let manifest: OnnxManifest;
  try {
    manifest = parseWithSchema(OnnxManifestSchema, value, what);
  } catch (error) {
    if (error instanceof SchemaError) throw new OnnxModelError(error.message);
    throw error;
  }
  const channels = (colour: string) => (colour === 'grey' ? 1 : 3);
  const { output } = manifest.detector;
  const keypoints =
    (output.layout === 'scrfd' && output.strides.every((stride) => stride.keypoints !== undefined)) ||
    (output.layout === 'retinaface' && output.keypoints !== undefined);
  if (manifest.landmarks === undefined && !keypoints)
    throw new OnnxModelError(
      `invalid ${what}: without a landmarks net the detector must give five keypoints (layout "scrfd" with keypoints on every stride, or "retinaface" with keypoints)`,
    );
  if (output.layout === 'retinaface' && output.steps.length !== output.minSizes.length)
    throw new OnnxModelError(
      `invalid ${what}: detector.output.minSizes needs one list per step (${output.steps.length} steps, ${output.minSizes.length} lists)`,
    );
  const inputs = [
    ['detector', manifest.detector.input],
    ...(manifest.landmarks ? [['landmarks', manifest.landmarks.input] as const] : []),
    ['recognition', manifest.recognition.input],
  ] as const;
  for (const [net, input] of inputs) {
    const needed = channels(input.colour);
    for (const part of ['mean', 'std'] as const) {
      const count = input.normalisation[part].length;
      if (count !== 1 && count !== needed)
        throw new OnnxModelError(
          `invalid ${what}: ${net}.input.normalisation.${part} has ${count} values; give 1 or ${needed} (${input.colour})`,
        );
    }
  }
  return manifest;
}

export interface OnnxModelFolder {
  /** Model id: `onnx-<folder name>`. */
  id: OnnxEngineId;
  name: string;
  directory: string;
  manifest: OnnxManifest;
}

/** Reads and checks `<directory>/manifest.json` and that every file it names is there. */
export async function readOnnxModelFolder(directory: string): Promise<OnnxModelFolder> {
  const name = path.basename(directory);
  if (!ONNX_MODEL_NAME_PATTERN.test(name))
    throw new OnnxModelError(
      `ONNX model folder "${name}": names are 1-58 letters, digits, "_" or "-" (it becomes the model id ${ONNX_MODEL_PREFIX}<name>)`,
    );
  const manifestPath = path.join(directory, MANIFEST_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new OnnxModelError(`ONNX model "${name}": cannot read ${manifestPath}: ${reason}`);
  }
  const manifest = parseOnnxManifest(raw, `${manifestPath}`);
  for (const net of onnxNets(manifest)) {
    const file = path.join(directory, net.file);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) throw new OnnxModelError(`ONNX model "${name}": ${file} is missing`);
  }
  return { id: `onnx-${name}`, name, directory, manifest };
}

/** The nets a manifest names (the landmark net only when it has one). */
export function onnxNets(manifest: OnnxManifest): { file: string }[] {
  return [manifest.detector, ...(manifest.landmarks ? [manifest.landmarks] : []), manifest.recognition];
}

/** The name part of an `onnx-<name>` model id, or undefined for any other id. */
export function onnxModelName(modelId: string): string | undefined {
  if (!modelId.startsWith(ONNX_MODEL_PREFIX)) return undefined;
  const name = modelId.slice(ONNX_MODEL_PREFIX.length);
  return ONNX_MODEL_NAME_PATTERN.test(name) ? name : undefined;
}
