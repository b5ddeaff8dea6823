// Argument checks shared by both indexes: a wrong dimension or a NaN would otherwise give silently
// wrong neighbours (every comparison with NaN is false, so a NaN distance corrupts the ranking).

export function checkDimensions(dimensions: number): void {
  if (!Number.isInteger(dimensions) || dimensions < 1) {
    throw new RangeError(`vector index: dimensions must be a positive integer, got ${dimensions}`);
  }
}

/** Checks an n×dimensions matrix and returns n. */
export function checkMatrix(vectors: Float32Array, dimensions: number): number {
  checkDimensions(dimensions);
  if (vectors.length % dimensions !== 0) {
    throw new RangeError(
      `vector index: dimension mismatch: ${vectors.length} values are not a whole number of ${dimensions}-d rows`,
    );
  }
  for (let index = 0; index < vectors.length; index++) {
    if (!Number.isFinite(vectors[index] as number)) {
      const row = Math.floor(index / dimensions);
      throw new RangeError(
        `vector index: row ${row} has ${vectors[index]} at dimension ${index % dimensions} (values must be finite)`,
      );
    }
  }
  return vectors.length / dimensions;
}

export function checkLabels(labels: Uint32Array | undefined, rows: number): void {
  if (labels !== undefined && labels.length !== rows) {
    throw new RangeError(`vector index: ${labels.length} labels for ${rows} rows`);
  }
}

export function checkQuery(query: Float32Array, dimensions: number, k: number): void {
  if (query.length !== dimensions) {
    throw new RangeError(
      `vector index: dimension mismatch: query has ${query.length} values, the index holds ${dimensions}-d vectors`,
    );
  }
  for (let index = 0; index < query.length; index++) {
    if (!Number.isFinite(query[index] as number)) {
      throw new RangeError(
        `vector index: query has ${query[index]} at dimension ${index} (values must be finite)`,
      );
    }
  }
  if (!Number.isInteger(k) || k < 1) {
    throw new RangeError(`vector index: k must be an integer ≥ 1, got ${k}`);
  }
}
