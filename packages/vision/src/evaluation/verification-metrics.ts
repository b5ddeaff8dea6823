// How well distances separate same-person pairs from different-person pairs, and how well a gallery
// of one photo per person names a new photo (one-shot N-way identification).

import { seededRandom, shuffled } from '@faceshot/core/seeded-random';
import { euclideanDistance } from '../embedding-distance.js';

export interface ScoredPair {
  /** Embedding distance: smaller means more alike. */
  distance: number;
  same: boolean;
}

/** ROC AUC: the chance that a random same-person pair is closer than a random different-person pair (ties count half). */
export function rocAuc(pairs: readonly ScoredPair[]): number {
  const sorted = [...pairs].sort((a, b) => a.distance - b.distance);
  const positives = sorted.filter((pair) => pair.same).length;
  const negatives = sorted.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  // Mann-Whitney U over ranks of "sameness" (rank 1 = largest distance), with average ranks for ties.
  let rankSum = 0;
  let index = 0;
  while (index < sorted.length) {
    let end = index;
    while (end + 1 < sorted.length && sorted[end + 1]?.distance === sorted[index]?.distance) end++;
    // Descending-distance rank of positions index..end: sorted ascending, so rank = n - position.
    const averageRank = sorted.length - (index + end) / 2;
    for (let position = index; position <= end; position++)
      if (sorted[position]?.same) rankSum += averageRank;
    index = end + 1;
  }
  const u = rankSum - (positives * (positives + 1)) / 2;
  return u / (positives * negatives);
}

export function accuracyAt(pairs: readonly ScoredPair[], threshold: number): number {
  if (pairs.length === 0) return Number.NaN;
  const correct = pairs.filter((pair) => pair.distance <= threshold === pair.same).length;
  return correct / pairs.length;
}

/** The distance threshold ("same person if distance ≤ t") with the best accuracy, and that accuracy. */
export function bestThreshold(pairs: readonly ScoredPair[]): { threshold: number; accuracy: number } {
  const sorted = [...pairs].sort((a, b) => a.distance - b.distance);
  const negatives = sorted.filter((pair) => !pair.same).length;
  // Threshold below every distance: all called different → every negative correct.
  let best = { threshold: (sorted[0]?.distance ?? 0) - 1e-6, correct: negatives };
  let correct = negatives;
  for (let index = 0; index < sorted.length; index++) {
    correct += sorted[index]?.same ? 1 : -1;
    const next = sorted[index + 1]?.distance;
    if (next !== undefined && next === sorted[index]?.distance) continue; // only between distinct values
    if (correct > best.correct) {
      const here = sorted[index]?.distance ?? 0;
      best = { threshold: next === undefined ? here : (here + next) / 2, correct };
    }
  }
  return {
    threshold: best.threshold,
    accuracy: sorted.length === 0 ? Number.NaN : best.correct / sorted.length,
  };
}

/** One operating point of the ROC curve: "same person if distance ≤ threshold". */
export interface RocPoint {
  threshold: number;
  /** Share of different-person pairs called the same (false accepts). */
  falsePositiveRate: number;
  /** Share of same-person pairs called the same. */
  truePositiveRate: number;
}

/**
 * The ROC curve, one point per distinct distance in ascending order, after a first point below every
 * distance (0, 0); the last point is (1, 1). Empty without both kinds of pair. One sort and one sweep,
 * so tens of thousands of pairs cost milliseconds.
 */
export function rocCurve(pairs: readonly ScoredPair[]): RocPoint[] {
  const sorted = [...pairs].sort((a, b) => a.distance - b.distance);
  const positives = sorted.filter((pair) => pair.same).length;
  const negatives = sorted.length - positives;
  if (positives === 0 || negatives === 0) return [];
  const points: RocPoint[] = [
    { threshold: (sorted[0]?.distance ?? 0) - 1e-6, falsePositiveRate: 0, truePositiveRate: 0 },
  ];
  let truePositives = 0;
  let falsePositives = 0;
  for (let index = 0; index < sorted.length; index++) {
    if (sorted[index]?.same) truePositives++;
    else falsePositives++;
    const here = sorted[index]?.distance ?? 0;
    if (sorted[index + 1]?.distance === here) continue; // one point per distinct distance
    points.push({
      threshold: here,
      falsePositiveRate: falsePositives / negatives,
      truePositiveRate: truePositives / positives,
    });
  }
  return points;
}

/**
 * Equal error rate: where false accepts and false rejects are as frequent (over the thresholds at the
 * pairs' own distances, the mean of the two rates where they are closest).
 */
export function equalErrorRate(pairs: readonly ScoredPair[]): number {
  let best = { gap: Number.POSITIVE_INFINITY, rate: Number.NaN };
  // The first point lies below every distance; the thresholds considered are the distances themselves.
  for (const point of rocCurve(pairs).slice(1)) {
    const falseReject = 1 - point.truePositiveRate;
    const gap = Math.abs(falseReject - point.falsePositiveRate);
    if (gap < best.gap) best = { gap, rate: (falseReject + point.falsePositiveRate) / 2 };
  }
  return best.rate;
}

export type Distance = (a: readonly number[], b: readonly number[]) => number;

export const euclidean: Distance = euclideanDistance;

/**
 * One-shot N-way identification: each trial picks `ways` people (with two or more photos), one random
 * reference photo of each, and another photo of one of them as the query; correct when the nearest
 * reference is that person. `ways` = 'all' uses every eligible person. Seeded, so runs repeat.
 */
export function oneShotAccuracy(
  embeddingsByIdentity: ReadonlyMap<string, readonly (readonly number[])[]>,
  ways: number | 'all',
  trials: number,
  seed: number,
  distance: Distance = euclidean,
): { accuracy: number; ways: number; trials: number } {
  const eligible = [...embeddingsByIdentity.keys()]
    .filter((identity) => (embeddingsByIdentity.get(identity)?.length ?? 0) >= 2)
    .sort();
  const n = ways === 'all' ? eligible.length : ways;
  if (n < 2 || eligible.length < n) return { accuracy: Number.NaN, ways: n, trials: 0 };
  const random = seededRandom(seed);
  let correct = 0;
  for (let trial = 0; trial < trials; trial++) {
    const people = shuffled(eligible, random).slice(0, n);
    const truth = people[0] as string;
    const truthPhotos = shuffled(embeddingsByIdentity.get(truth) ?? [], random);
    const query = truthPhotos[0] as readonly number[];
    const references = people.map((identity) => {
      if (identity === truth) return { identity, embedding: truthPhotos[1] as readonly number[] };
      const photos = embeddingsByIdentity.get(identity) ?? [];
      return { identity, embedding: photos[Math.floor(random() * photos.length)] as readonly number[] };
    });
    let nearest = references[0];
    for (const reference of references) {
      if (distance(query, reference.embedding) < distance(query, nearest?.embedding ?? []))
        nearest = reference;
    }
    if (nearest?.identity === truth) correct++;
  }
  return { accuracy: correct / trials, ways: n, trials };
}
