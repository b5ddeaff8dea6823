// A model as the predictor uses it: faces in, embeddings out, plus the distance threshold that
// separates "same person" from "someone else". Three kinds:
//  - faceapi-baseline: face-api's own 128-d descriptor (works before any training);
//  - transfer: the trained dense head over the descriptor of the engine its dataset was extracted
//    with (face-api's, or an installed ONNX model's);
//  - seed: the seed's CNN over the 80×80 grey crop (found and aligned by that engine);
//  - onnx: an operator-installed ONNX model (`onnx-<name>`), whose engine's embedding is the descriptor.
import { type ServingCard, ServingCardSchema } from '@faceshot/core/contracts/model-card';
import { BASELINE_MODEL_ID } from '@faceshot/core/datasets/model-repository';
import { type DetectorName, isDetectorName } from '@faceshot/core/engines/detector-name';
import {
  engineOf,
  FACEAPI_EMBEDDING_SPACE,
  FACEAPI_ENGINE,
  type FaceEngineId,
  isOnnxEngine,
} from '@faceshot/core/engines/face-engine-id';
import type { OnnxModelFolder } from '@faceshot/core/engines/onnx/onnx-manifest';
import { PermanentJobError } from '@faceshot/core/queues/permanent-job-error';
import { parseWithSchema, SchemaError } from '@faceshot/core/schema';
import { storageKeys } from '@faceshot/core/storage/keys';
import { type ObjectStore, readJsonObject } from '@faceshot/core/storage/object-store';
import type * as TF from '@tensorflow/tfjs';
import type { DistanceKind } from './embedding-distance.js';

type Tf = typeof TF;

/** What an embedder needs of one face. */
export interface FaceInput {
  /** The engine's descriptor (face-api's 128 values, or an ONNX model's embedding). */
  descriptor: readonly number[];
  /** The aligned grey crop, side × side bytes (only the seed network reads it). */
  grayPixels?: Uint8Array;
}

export type Architecture = 'faceapi-baseline' | 'transfer' | 'seed' | 'onnx';

export interface Embedder {
  modelId: string;
  architecture: Architecture;
  threshold: number;
  dimensions: number;
  /**
   * The detector query photos are read with: a trained model's is the one its training faces were
   * found by (its card), since its descriptors and crops depend on it; the baseline's is configured.
   */
  detector: DetectorName;
  /** The engine query photos are described with (the descriptor embed() reads). */
  engine: FaceEngineId;
  /**
   * How distances are read: Euclidean, or cosine (embeddings L2-normalised: the gallery's Euclidean
   * search gives the same order, and the distance converts exactly).
   */
  distance: DistanceKind;
  /**
   * What the embeddings are (engine and net); a gallery remembers the one it was enrolled with and
   * refuses another, so embeddings of two nets are never compared.
   */
  embeddingSpace: string;
  /** Whether embed() reads grayPixels (callers skip decoding crops otherwise). */
  needsGrayPixels: boolean;
  embed(faces: readonly FaceInput[]): Float32Array[];
  dispose(): void;
}

export function baselineEmbedder(threshold: number, detector: DetectorName): Embedder {
  return {
    modelId: BASELINE_MODEL_ID,
    architecture: 'faceapi-baseline',
    threshold,
    detector,
    engine: FACEAPI_ENGINE,
    distance: 'euclidean',
    embeddingSpace: FACEAPI_EMBEDDING_SPACE,
    dimensions: 128,
    needsGrayPixels: false,
    embed: (faces) => faces.map((face) => Float32Array.from(face.descriptor)),
    dispose: () => undefined,
  };
}

/**
 * An installed ONNX model: its engine's embedding (already L2-normalised for a cosine model) is the
 * face's descriptor; `embeddingSpace` names the model and a digest of its recognition net.
 */
export function onnxEmbedder(folder: OnnxModelFolder, embeddingSpace: string): Embedder {
  const size = folder.manifest.recognition.output.size;
  return {
    modelId: folder.id,
    architecture: 'onnx',
    threshold: folder.manifest.threshold,
    // Unused: an ONNX model finds faces with its own detector.
    detector: 'blazeface',
    engine: folder.id,
    distance: folder.manifest.distance,
    embeddingSpace,
    dimensions: size,
    needsGrayPixels: false,
    embed: (faces) =>
      faces.map((face) => {
        if (face.descriptor.length !== size)
          throw new PermanentJobError(
            `a face descriptor has ${face.descriptor.length} values; ${folder.id} makes ${size}`,
          );
        return Float32Array.from(face.descriptor);
      }),
    dispose: () => undefined,
  };
}

/** Cards from before the detector was recorded: their faces were found by SSD, then the only default. */
export const LEGACY_CARD_DETECTOR: DetectorName = 'ssd';

/** The detector a card names (LEGACY_CARD_DETECTOR when it names none); an unknown name is an error. */
export function cardDetector(modelId: string, card: { detector?: unknown }): DetectorName {
  if (card.detector === undefined || card.detector === null) return LEGACY_CARD_DETECTOR;
  if (!isDetectorName(card.detector))
    throw new PermanentJobError(
      `model "${modelId}" names an unknown face detector "${String(card.detector)}"`,
    );
  return card.detector;
}

/** A trained model's card as serving reads it; PermanentJobError when missing or malformed. */
export async function readServingCard(store: ObjectStore, modelId: string): Promise<ServingCard> {
  const card = await readJsonObject<unknown>(store, storageKeys.modelFile(modelId, 'card.json'));
  if (card === undefined) throw new PermanentJobError(`model "${modelId}" is not trained (it has no card)`);
  try {
    return parseWithSchema(ServingCardSchema, card, `card of model "${modelId}"`);
  } catch (error) {
    if (error instanceof SchemaError) throw new PermanentJobError(error.message);
    throw error;
  }
}

function inputTensor(
  tf: Tf,
  architecture: 'seed' | 'transfer',
  shape: number[],
  faces: readonly FaceInput[],
) {
  if (architecture === 'transfer') {
    const size = shape[1] ?? 128;
    for (const face of faces) {
      if (face.descriptor.length !== size)
        throw new PermanentJobError(
          `a face descriptor has ${face.descriptor.length} values, the model needs ${size}`,
        );
    }
    return tf.tensor2d(
      faces.map((face) => Array.from(face.descriptor)),
      [faces.length, size],
    );
  }
  const [height = 0, width = 0] = shape.slice(1, 3);
  const values = new Float32Array(faces.length * height * width);
  faces.forEach((face, index) => {
    const pixels = face.grayPixels;
    if (pixels === undefined || pixels.length !== height * width) {
      throw new PermanentJobError(
        `the seed model needs ${width}x${height} grey crops (GRAY_SIZE); got ${pixels?.length ?? 0} pixels`,
      );
    }
    // The seed's input scaling: grey levels in [0, 1].
    for (let offset = 0; offset < pixels.length; offset++)
      values[index * height * width + offset] = (pixels[offset] ?? 0) / 255;
  });
  return tf.tensor4d(values, [faces.length, height, width, 1]);
}

/**
 * The engine a trained model reads query photos with: face-api (with its card's detector), or the
 * installed ONNX model its dataset was extracted with, provided its recognition net is still the one
 * the training faces were described by (`installedSpace` gives the installed net's embedding space).
 */
async function servingEngine(
  modelId: string,
  card: ServingCard,
  installedSpace: (engine: FaceEngineId) => Promise<string | undefined>,
): Promise<{ engine: FaceEngineId; detector: DetectorName }> {
  const engine = engineOf(card);
  if (engine === FACEAPI_ENGINE) return { engine: FACEAPI_ENGINE, detector: cardDetector(modelId, card) };
  if (!isOnnxEngine(engine))
    throw new PermanentJobError(`model "${modelId}" names an unknown face engine "${engine}"`);
  const installed = await installedSpace(engine);
  if (installed === undefined)
    throw new PermanentJobError(
      `model "${modelId}" reads faces with ${engine}, which is not installed here (ONNX_MODELS_DIR)`,
    );
  if (card.embeddingSpace !== undefined && card.embeddingSpace !== installed)
    throw new PermanentJobError(
      `model "${modelId}" was trained on ${card.embeddingSpace} embeddings; the installed ${engine} makes ${installed} (its recognition net was replaced: train the model again)`,
    );
  // Unused: an ONNX engine finds faces with its own detector.
  return { engine, detector: 'blazeface' };
}

/** Loads a trained model's network and card from storage. */
export async function loadTrainedEmbedder(
  tf: Tf,
  store: ObjectStore,
  modelId: string,
  installedSpace: (engine: FaceEngineId) => Promise<string | undefined>,
): Promise<Embedder> {
  const card = await readServingCard(store, modelId);
  const { engine, detector } = await servingEngine(modelId, card, installedSpace);
  const modelJson = await readJsonObject<{
    modelTopology: object;
    weightsManifest: { weights: TF.io.WeightsManifestEntry[] }[];
  }>(store, storageKeys.modelFile(modelId, 'model.json'));
  if (modelJson === undefined) throw new PermanentJobError(`model "${modelId}" has no model.json`);
  const weights = await store.get(storageKeys.modelFile(modelId, 'weights.bin'));
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest.flatMap((group) => group.weights),
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
  );
  const inputShape = (model.inputs[0]?.shape ?? []).map((value) => value ?? 0);
  const outputShape = model.outputs[0]?.shape ?? [];
  const architecture = card.architecture;
  return {
    modelId,
    architecture,
    threshold: card.threshold,
    detector,
    engine,
    distance: 'euclidean',
    embeddingSpace: modelId,
    dimensions: outputShape[outputShape.length - 1] ?? 0,
    needsGrayPixels: architecture === 'seed',
    embed(faces) {
      if (faces.length === 0) return [];
      const output = tf.tidy(() => {
        const input = inputTensor(tf, architecture, inputShape, faces);
        return (model.predict(input) as TF.Tensor2D).dataSync() as Float32Array;
      });
      const size = output.length / faces.length;
      return faces.map((_, index) => output.slice(index * size, (index + 1) * size));
    },
    dispose: () => model.dispose(),
  };
}
