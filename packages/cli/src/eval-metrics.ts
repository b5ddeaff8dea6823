// One model's scores on an evaluation folder's faces: verification over the shared pairs, one-shot
// identification, and its ROC curve.
import type { Embedder } from '@faceshot/vision/embedders';
import { distanceOf } from '@faceshot/vision/embedding-distance';
import {
  accuracyAt,
  bestThreshold,
  equalErrorRate,
  oneShotAccuracy,
  type RocPoint,
  rocAuc,
  rocCurve,
} from '@faceshot/vision/evaluation/verification-metrics';
import type { EvalFace } from './eval-faces.js';
import type { IndexPair } from './eval-pairs.js';

/** Identification gallery sizes: 5 and 20 people, and every person with two or more faces. */
export const IDENTIFICATION_WAYS = [5, 20, 'all'] as const;

export interface Identification {
  /** As asked: 5, 20 or "all". */
  asked: (typeof IDENTIFICATION_WAYS)[number];
  /** People per trial (for "all": every eligible person). */
  ways: number;
  /** Null when the folder has too few people with two faces. */
  accuracy: number | null;
  trials: number;
}

export interface ModelEvaluation {
  model: string;
  architecture: string;
  /** The model's own "same person" distance threshold (its card's, or BASELINE_THRESHOLD). */
  threshold: number;
  verification: {
    samePairs: number;
    differentPairs: number;
    rocAuc: number | null;
    accuracyAtThreshold: number | null;
    equalErrorRate: number | null;
    /** The threshold that would have been best on these very pairs (optimistic; for comparison only). */
    bestThreshold: number | null;
    bestAccuracy: number | null;
  };
  identification: Identification[];
  /** Thinned to points at least ROC_STEP apart: enough to draw, small enough to keep in JSON. */
  roc: RocPoint[];
}

/** Faces per embed() call: bounds the tensor a trained model builds (the seed CNN: 80×80 floats each). */
const EMBED_BATCH = 256;
const ROC_STEP = 0.002;

/** NaN (too few pairs or people) is not JSON; reports say null. */
function finite(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

export function thinCurve(points: readonly RocPoint[], step: number): RocPoint[] {
  const kept: RocPoint[] = [];
  for (const [index, point] of points.entries()) {
    const last = kept[kept.length - 1];
    const moved =
      last === undefined ||
      Math.abs(point.falsePositiveRate - last.falsePositiveRate) >= step ||
      Math.abs(point.truePositiveRate - last.truePositiveRate) >= step;
    if (moved || index === points.length - 1) kept.push(point);
  }
  return kept;
}

/** Every face through the model, in batches. */
export function embedAll(embedder: Embedder, faces: readonly EvalFace[]): number[][] {
  const embeddings: number[][] = [];
  for (let start = 0; start < faces.length; start += EMBED_BATCH) {
    const batch = faces.slice(start, start + EMBED_BATCH).map((face) => face.face);
    for (const embedding of embedder.embed(batch)) embeddings.push(Array.from(embedding));
  }
  return embeddings;
}

export function evaluateModel(
  embedder: Embedder,
  faces: readonly EvalFace[],
  pairs: readonly IndexPair[],
  options: { trials: number; seed: number },
): ModelEvaluation {
  const embeddings = embedAll(embedder, faces);

  const scored = pairs.map((pair) => ({
    // The model's own distance (cosine for most ONNX models), so its threshold means what it says.
    distance: distanceOf(embedder.distance, embeddings[pair.a] ?? [], embeddings[pair.b] ?? []),
    same: pair.same,
  }));
  const best = bestThreshold(scored);
  const samePairs = pairs.filter((pair) => pair.same).length;

  const byIdentity = new Map<string, number[][]>();
  faces.forEach((face, index) => {
    const list = byIdentity.get(face.identity) ?? [];
    list.push(embeddings[index] ?? []);
    byIdentity.set(face.identity, list);
  });
  const identification = IDENTIFICATION_WAYS.map((asked): Identification => {
    const result = oneShotAccuracy(byIdentity, asked, options.trials, options.seed);
    return { asked, ways: result.ways, accuracy: finite(result.accuracy), trials: result.trials };
  });

  return {
    model: embedder.modelId,
    architecture: embedder.architecture,
    threshold: embedder.threshold,
    verification: {
      samePairs,
      differentPairs: pairs.length - samePairs,
      rocAuc: finite(rocAuc(scored)),
      accuracyAtThreshold: finite(accuracyAt(scored, embedder.threshold)),
      equalErrorRate: finite(equalErrorRate(scored)),
      bestThreshold: finite(best.threshold),
      bestAccuracy: finite(best.accuracy),
    },
    identification,
    roc: thinCurve(rocCurve(scored), ROC_STEP),
  };
}
