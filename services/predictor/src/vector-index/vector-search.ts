// What every vector index answers (vector-index.ts picks the implementation). In a module of its own
// so the implementations need not import the module that imports them.

export interface VectorMatch {
  label: number;
  /** Euclidean distance (not squared). */
  distance: number;
}

export interface VectorIndex {
  readonly kind: 'exact' | 'ann';
  readonly dimensions: number;
  readonly size: number;
  /** The k nearest stored vectors (fewer if size < k), nearest first. */
  search(query: Float32Array, k: number): VectorMatch[];
}
