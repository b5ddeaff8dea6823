// Distances to what users read: a similarity score in [0, 1] that is 0.5 exactly at the model's
// threshold (above 0.5: same person by the model's own rule), 1 for identical embeddings, and 0 at
// twice the threshold or further.

export function similarityScore(distance: number, threshold: number): number {
  if (!(threshold > 0)) return distance === 0 ? 1 : 0;
  return Math.min(1, Math.max(0, 1 - distance / (2 * threshold)));
}

export const UNKNOWN_IDENTITY = 'unknown';
