// The two distances an embedding engine may declare. Galleries search by Euclidean distance; for a
// cosine engine the embeddings are stored L2-normalised, where ‖a − b‖² = 2 (1 − cos), so the
// nearest by one is the nearest by the other and a Euclidean distance converts exactly.
export type DistanceKind = 'cosine' | 'euclidean';

export function l2Normalised(vector: ArrayLike<number>): Float32Array {
  let sum = 0;
  for (let index = 0; index < vector.length; index++) sum += (vector[index] ?? 0) ** 2;
  const norm = Math.sqrt(sum);
  if (!(norm > 0) || !Number.isFinite(norm))
    throw new Error('an embedding of length 0 (or not finite) cannot be normalised');
  return Float32Array.from(vector, (value) => value / norm);
}

export function euclideanDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`embeddings of ${a.length} and ${b.length} values`);
  let sum = 0;
  for (let index = 0; index < a.length; index++) sum += ((a[index] ?? 0) - (b[index] ?? 0)) ** 2;
  return Math.sqrt(sum);
}

/** 1 − cos(a, b): 0 for the same direction, 1 for orthogonal, 2 for opposite. */
export function cosineDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`embeddings of ${a.length} and ${b.length} values`);
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let index = 0; index < a.length; index++) {
    const [x, y] = [a[index] ?? 0, b[index] ?? 0];
    dot += x * y;
    normA += x * x;
    normB += y * y;
  }
  const norms = Math.sqrt(normA * normB);
  if (!(norms > 0)) throw new Error('cosine distance of a zero vector');
  return 1 - dot / norms;
}

/** The engine's distance from a Euclidean one between its stored (for cosine: unit) embeddings. */
export function fromEuclidean(kind: DistanceKind, euclidean: number): number {
  return kind === 'cosine' ? (euclidean * euclidean) / 2 : euclidean;
}

export function distanceOf(kind: DistanceKind, a: ArrayLike<number>, b: ArrayLike<number>): number {
  return kind === 'cosine' ? cosineDistance(a, b) : euclideanDistance(a, b);
}
