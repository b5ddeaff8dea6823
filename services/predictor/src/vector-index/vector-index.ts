// Nearest-neighbour search over a gallery of embeddings, behind one interface: an exact scan for
// small galleries and a usearch HNSW graph (re-ranked with exact distances) for large ones.
import { type AnnParameters, AnnVectorIndex } from './ann-vector-index.js';
import { ExactVectorIndex } from './exact-vector-index.js';
import { checkLabels, checkMatrix } from './vector-checks.js';
import type { VectorIndex } from './vector-search.js';

export type { AnnParameters } from './ann-vector-index.js';
export { ANN_DEFAULTS } from './ann-vector-index.js';
export type { VectorIndex, VectorMatch } from './vector-search.js';

export interface VectorIndexOptions {
  /** Label of row i (default i). Several rows may share a label (e.g. several photos of one person). */
  labels?: Uint32Array;
  /**
   * Galleries with fewer rows than this are scanned exactly (default 20k). Measured at 128-d on 2 cores
   * (bench/src/gallery-search.ts): the scan costs ~0.26 µs a row, so ~5 ms a query at 20k (small next
   * to detecting and embedding the face, hundreds of ms), needs no build and always finds the nearest
   * row. The graph answers a 10k–20k gallery in ~1–2 ms but costs ~0.5 CPU-ms a row to build (10 s at
   * 20k, and every gallery change means a rebuild), so it pays off only after ~7,000 queries per
   * build. Past ~20k the scan grows to 27 ms at 100k and 260 ms at 1M; the graph stays in single-digit
   * to low double-digit ms.
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
