// Nearest-neighbour search over a gallery of embeddings, behind one interface: an exact scan for
// small galleries and a usearch HNSW graph (re-ranked with exact distances) for large ones.
import { type AnnParameters, AnnVectorIndex } from './ann-vector-index.js';
import { ExactVectorIndex } from './exact-vector-index.js';
import { checkLabels, checkMatrix } from './vector-checks.js';

export type { AnnParameters } from './ann-vector-index.js';
export { ANN_DEFAULTS } from './ann-vector-index.js';

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

export interface VectorIndexOptions {
  /** Label of row i (default i). Several rows may share a label (e.g. several photos of one person). */
  labels?: Uint32Array;
  /**
   * Galleries with fewer rows than this are scanned exactly. Measured on 2 cores, 128-d
   * (bench/src/gallery-search.ts): an exact query over 20k rows takes ~2 ms, small next to face
   * detection and embedding (hundreds of ms per photo), needs no build and has recall 1; the HNSW graph
   * costs ~1 s to build at that size and its answers are approximate. Above ~20k the scan's linear cost
   * starts to show (10 ms at 100k, 100 ms at 1M) while the graph stays well under 1 ms.
   */
  exactBelow?: number;
  ann?: Partial<AnnParameters>;
}

export const DEFAULT_EXACT_BELOW = 20_000;

/**
 * Indexes `vectors` (n×dimensions, row-major). The index keeps a reference to `vectors` rather than a
 * copy (a million 128-d rows is 512 MB), so the caller must not modify it afterwards.
 */
export function buildVectorIndex(
  vectors: Float32Array,
  dimensions: number,
  options: VectorIndexOptions = {},
): VectorIndex {
  const rows = checkMatrix(vectors, dimensions);
  checkLabels(options.labels, rows);
  const exactBelow = options.exactBelow ?? DEFAULT_EXACT_BELOW;
  if (rows < exactBelow) return new ExactVectorIndex(vectors, dimensions, options.labels);
  return new AnnVectorIndex(vectors, dimensions, options.labels, options.ann);
}
