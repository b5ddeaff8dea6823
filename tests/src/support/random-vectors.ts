// Deterministic synthetic embeddings for the vector-index tests and benchmark.
import { seededRandom } from '@faceshot/core/seeded-random';

export type Distribution = 'uniform' | 'normal';

/** rows×dimensions values, uniform in [0, 1) or standard normal (Box–Muller), from `seed`. */
export function randomVectors(
  rows: number,
  dimensions: number,
  seed: number,
  distribution: Distribution = 'uniform',
): Float32Array {
  const random = seededRandom(seed);
  const out = new Float32Array(rows * dimensions);
  if (distribution === 'uniform') {
    for (let index = 0; index < out.length; index++) out[index] = random();
    return out;
  }
  for (let index = 0; index < out.length; index += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - random())); // 1 - u is in (0, 1]: no log(0)
    const angle = 2 * Math.PI * random();
    out[index] = radius * Math.cos(angle);
    if (index + 1 < out.length) out[index + 1] = radius * Math.sin(angle);
  }
  return out;
}

/** Copies of `count` random stored rows, each value moved by uniform noise in ±noise. */
export function noisyRows(
  vectors: Float32Array,
  dimensions: number,
  count: number,
  noise: number,
  seed: number,
): { queries: Float32Array; rows: Uint32Array } {
  const random = seededRandom(seed);
  const size = vectors.length / dimensions;
  const queries = new Float32Array(count * dimensions);
  const rows = new Uint32Array(count);
  for (let query = 0; query < count; query++) {
    const row = Math.floor(random() * size);
    rows[query] = row;
    for (let index = 0; index < dimensions; index++) {
      queries[query * dimensions + index] =
        (vectors[row * dimensions + index] as number) + (2 * random() - 1) * noise;
    }
  }
  return { queries, rows };
}
