// How well distances separate same-person pairs from different-person pairs, and how well a gallery
// of one photo per person names a new photo (one-shot N-way identification).
import { seededRandom, shuffled } from '../seeded-random.js';

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

/** Equal error rate: where false accepts and false rejects are as frequent. */
export function equalErrorRate(pairs: readonly ScoredPair[]): number {
  const positives = pairs.filter((pair) => pair.same);
  const negatives = pairs.filter((pair) => !pair.same);
  if (positives.length === 0 || negatives.length === 0) return Number.NaN;
  const thresholds = [...new Set(pairs.map((pair) => pair.distance))].sort((a, b) => a - b);
  let best = { gap: Number.POSITIVE_INFINITY, rate: Number.NaN };
  for (const threshold of thresholds) {
    const falseReject = positives.filter((pair) => pair.distance > threshold).length / positives.length;
    const falseAccept = negatives.filter((pair) => pair.distance <= threshold).length / negatives.length;
    const gap = Math.abs(falseReject - falseAccept);
    if (gap < best.gap) best = { gap, rate: (falseReject + falseAccept) / 2 };
  }
  return best.rate;
}

export type Distance = (a: readonly number[], b: readonly number[]) => number;

export const euclidean: Distance = (a, b) => {
  let sum = 0;
  for (let index = 0; index < a.length; index++) sum += ((a[index] ?? 0) - (b[index] ?? 0)) ** 2;
  return Math.sqrt(sum);
};

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
