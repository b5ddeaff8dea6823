import { squaredDistance } from './squared-distance.js';
import { TopK } from './top-k.js';
import { checkQuery } from './vector-checks.js';
import type { VectorIndex, VectorMatch } from './vector-search.js';

/** Scans every row: recall 1, no build cost, O(n·d) per query. buildVectorIndex checks the matrix. */
export class ExactVectorIndex implements VectorIndex {
  readonly kind = 'exact';
  readonly dimensions: number;
  readonly size: number;
  private readonly vectors: Float32Array;
  private readonly labels: Uint32Array | undefined;

  constructor(vectors: Float32Array, dimensions: number, labels: Uint32Array | undefined) {
    this.vectors = vectors;
    this.dimensions = dimensions;
    this.size = vectors.length / dimensions;
    this.labels = labels;
  }

  search(query: Float32Array, k: number): VectorMatch[] {
    checkQuery(query, this.dimensions, k);
    const top = new TopK(Math.min(k, this.size));
    for (let row = 0; row < this.size; row++) {
      const distance = squaredDistance(this.vectors, row, query);
      // Most rows stop here; the heap is touched only by rows that get in.
      if (distance <= top.worst) top.offer(distance, row);
    }
    return toMatches(top, this.labels);
  }
}

/** Square roots only for the k survivors, and row numbers turned into labels. */
export function toMatches(top: TopK, labels: Uint32Array | undefined): VectorMatch[] {
  const { distances, rows } = top.sorted();
  return rows.map((row, index) => ({
    label: labels === undefined ? row : (labels[row] as number),
    distance: Math.sqrt(distances[index] as number),
  }));
}
