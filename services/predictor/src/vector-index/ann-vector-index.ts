import os from 'node:os';
import { Index, MetricKind, ScalarKind } from 'usearch';
import { toMatches } from './exact-vector-index.js';
import { squaredDistance } from './squared-distance.js';
import { TopK } from './top-k.js';
import { checkQuery } from './vector-checks.js';
import type { VectorIndex, VectorMatch } from './vector-search.js';

/** HNSW parameters (usearch names in brackets). */
export interface AnnParameters {
  /** Graph edges per node [connectivity]: more means better recall, more memory, slower build. */
  connectivity: number;
  /** Beam width while inserting [expansion_add]: more means a better graph, slower build. */
  expansionAdd: number;
  /** Beam width while searching [expansion_search]: the recall/latency knob. */
  expansionSearch: number;
  /** Threads for the build (0 = every core). */
  buildThreads: number;
}

// Measured on uniform random 128-d vectors, 2 cores shared with other runs (bench/src/gallery-search.ts,
// which also sweeps expansionSearch). With a query near a stored vector (a face close to an enrolled one),
// expansionSearch 512 gives recall@1 1.00 at 100k (15 ms) and 0.98 at 1M (18.5 ms); 1024 gives 0.995 at
// 1M in 34 ms. Uniformly random queries are HNSW's worst case (1M, 1024: 0.76).
export const ANN_DEFAULTS: AnnParameters = {
  connectivity: 32,
  expansionAdd: 64,
  expansionSearch: 512,
  buildThreads: 0,
};

/**
 * usearch HNSW graph over the rows (key = row number). The graph's candidates are re-ranked with
 * float64 distances from the stored rows, so returned distances are exact and ordered like the exact
 * index's; only which rows are found is approximate.
 */
export class AnnVectorIndex implements VectorIndex {
  readonly kind = 'ann';
  readonly dimensions: number;
  readonly size: number;
  readonly parameters: Readonly<AnnParameters>;
  /**
   * Candidates taken from the graph and re-ranked per query (at least k). Settable, so recall can be
   * traded for latency without rebuilding: usearch searches with a beam of max(expansion_search,
   * wanted), so asking it for this many results is the same as searching with this beam.
   */
  expansionSearch: number;
  private readonly vectors: Float32Array;
  private readonly labels: Uint32Array | undefined;
  private readonly index: Index;

  constructor(
    vectors: Float32Array,
    dimensions: number,
    labels: Uint32Array | undefined,
    parameters: Partial<AnnParameters> = {},
  ) {
    this.vectors = vectors;
    this.dimensions = dimensions;
    this.size = vectors.length / dimensions;
    this.labels = labels;
    this.parameters = { ...ANN_DEFAULTS, ...parameters };
    this.expansionSearch = this.parameters.expansionSearch;
    this.index = new Index({
      dimensions,
      metric: MetricKind.L2sq,
      quantization: ScalarKind.F32,
      connectivity: this.parameters.connectivity,
      expansion_add: this.parameters.expansionAdd,
      // The beam is chosen per query through the number of results asked for (see expansionSearch);
      // 1 rather than 0, which usearch would replace by its default of 64.
      expansion_search: 1,
      multi: false,
    });
    if (this.size > 0) {
      const keys = new BigUint64Array(this.size);
      for (let row = 0; row < this.size; row++) keys[row] = BigInt(row);
      // usearch inserts in parallel across `threads` native threads (the call blocks this one).
      const threads = this.parameters.buildThreads || os.availableParallelism();
      this.index.add(keys, vectors, threads);
    }
  }

  search(query: Float32Array, k: number): VectorMatch[] {
    checkQuery(query, this.dimensions, k);
    const top = new TopK(Math.min(k, this.size));
    if (this.size === 0) return [];
    const wanted = Math.min(this.size, Math.max(k, this.expansionSearch));
    // One native thread: a single query cannot be split, and starting a pool per call costs more.
    const candidates = this.index.search(query, wanted, 1);
    // Re-ranking the whole beam in float64 costs ~0.2 µs a candidate and makes the order (and the
    // distances) exactly the exact index's for whichever rows the graph found.
    for (const key of candidates.keys) {
      const row = Number(key);
      top.offer(squaredDistance(this.vectors, row, query), row);
    }
    return toMatches(top, this.labels);
  }
}
