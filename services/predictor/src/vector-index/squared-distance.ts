/**
 * Squared Euclidean distance between row `row` of an n×dimensions matrix and `query`, summed in
 * float64 (the inputs are float32, so this is exact to float64 rounding). Four accumulators let V8
 * keep independent additions in flight instead of one long dependency chain.
 */
export function squaredDistance(vectors: Float32Array, row: number, query: Float32Array): number {
  const dimensions = query.length;
  const offset = row * dimensions;
  let sum0 = 0;
  let sum1 = 0;
  let sum2 = 0;
  let sum3 = 0;
  let index = 0;
  for (; index + 3 < dimensions; index += 4) {
    const d0 = (vectors[offset + index] as number) - (query[index] as number);
    const d1 = (vectors[offset + index + 1] as number) - (query[index + 1] as number);
    const d2 = (vectors[offset + index + 2] as number) - (query[index + 2] as number);
    const d3 = (vectors[offset + index + 3] as number) - (query[index + 3] as number);
    sum0 += d0 * d0;
    sum1 += d1 * d1;
    sum2 += d2 * d2;
    sum3 += d3 * d3;
  }
  for (; index < dimensions; index++) {
    const d = (vectors[offset + index] as number) - (query[index] as number);
    sum0 += d * d;
  }
  return sum0 + sum1 + (sum2 + sum3);
}
