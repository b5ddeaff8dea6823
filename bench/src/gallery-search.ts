// Gallery search: build seconds, ms per query and recall@1 of the exact scan and the usearch HNSW
// index over random 128-d embeddings. Two query sets: stored rows plus noise (a new photo of an
// enrolled person) and fully random vectors (nobody enrolled; far from every row, the hard case for a
// graph). Prints JSON and appends it to bench/results/<date>.json.
//   npm run bench:gallery -- [sizes=10000,100000,1000000] [queries=200] [--no-save]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AnnVectorIndex } from '@faceshot/predictor/vector-index/ann-vector-index';
import {
  ANN_DEFAULTS,
  buildVectorIndex,
  type VectorIndex,
  type VectorMatch,
} from '@faceshot/predictor/vector-index/vector-index';
import { noisyRows, randomVectors } from '@faceshot/tests/support/random-vectors';

const DIMENSIONS = 128;
const K = 10;
// Uniform noise of ±0.1 per value moves a [0, 1) row by ~0.65, about a seventh of the typical
// distance between two rows (~4.6): near its own row, like a second photo of the same face.
const NOISE = 0.1;
// The ANN index is built once per size and searched with each of these beams (see expansionSearch).
const EXPANSION_SWEEP = [64, 128, 256, 512, 1024];

const args = process.argv.slice(2).filter((arg) => arg !== '--no-save');
const save = !process.argv.includes('--no-save');
const sizes = (args[0] ?? '10000,100000,1000000').split(',').map(Number);
const queryCount = Number(args[1] ?? '200');
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

function rowOf(matrix: Float32Array, row: number): Float32Array {
  return matrix.subarray(row * DIMENSIONS, (row + 1) * DIMENSIONS);
}

function timedBuild(vectors: Float32Array, exactBelow: number) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const index = buildVectorIndex(vectors, DIMENSIONS, { exactBelow });
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = cpuSecondsSince(cpu);
  return { index, seconds, cpuSeconds };
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/**
 * Runs every query, timing each call. The machine may be shared, so beside wall-clock latencies this
 * reports CPU ms per query: a search runs on one thread, so that is what the query would take alone.
 */
function runQueries(index: VectorIndex, queries: Float32Array) {
  const count = queries.length / DIMENSIONS;
  for (let query = 0; query < Math.min(5, count); query++) index.search(rowOf(queries, query), K); // warm-up
  const answers: VectorMatch[][] = [];
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  for (let query = 0; query < count; query++) {
    const started = performance.now();
    answers.push(index.search(rowOf(queries, query), K));
    latencies.push(performance.now() - started);
  }
  const cpuMs = (cpuSecondsSince(cpu) * 1000) / count;
  latencies.sort((a, b) => a - b);
  const mean = latencies.reduce((sum, value) => sum + value, 0) / count;
  return {
    answers,
    stats: {
      queries: count,
      meanMs: round(mean, 3),
      p50Ms: round(percentile(latencies, 50), 3),
      p95Ms: round(percentile(latencies, 95), 3),
      cpuMsPerQuery: round(cpuMs, 3),
    },
  };
}

/** Share of queries whose first answer is the true nearest row (or one exactly as near). */
function recallAt1(found: VectorMatch[][], truth: VectorMatch[][]): number {
  let hits = 0;
  found.forEach((answer, query) => {
    const expected = truth[query]?.[0];
    const got = answer[0];
    if (expected && got && (got.label === expected.label || got.distance === expected.distance)) hits += 1;
  });
  return round(hits / found.length, 4);
}

function measure(size: number) {
  const vectors = randomVectors(size, DIMENSIONS, 1);
  const querySets = {
    noisyStored: noisyRows(vectors, DIMENSIONS, queryCount, NOISE, 3).queries,
    random: randomVectors(queryCount, DIMENSIONS, 2),
  };
  const exact = timedBuild(vectors, Number.POSITIVE_INFINITY);
  const ann = timedBuild(vectors, 0);
  if (!(ann.index instanceof AnnVectorIndex)) throw new Error('expected the ANN index');
  const annIndex = ann.index;
  const build = {
    exact: { seconds: round(exact.seconds, 3) },
    ann: { seconds: round(ann.seconds, 2), cpuSeconds: round(ann.cpuSeconds, 2) },
  };
  process.stderr.write(`${size} build: ${JSON.stringify(build)}\n`);
  const result: Record<string, unknown> = { size, build };
  for (const [name, queries] of Object.entries(querySets)) {
    const truth = runQueries(exact.index, queries);
    const sweep = EXPANSION_SWEEP.map((expansionSearch) => {
      annIndex.expansionSearch = expansionSearch;
      const found = runQueries(annIndex, queries);
      return { expansionSearch, recallAt1: recallAt1(found.answers, truth.answers), ...found.stats };
    });
    annIndex.expansionSearch = ANN_DEFAULTS.expansionSearch;
    result[name] = { exact: { recallAt1: 1, ...truth.stats }, ann: sweep };
    process.stderr.write(`${size} ${name}: ${JSON.stringify(result[name])}\n`);
  }
  return result;
}

const results = sizes.map(measure);
const report = {
  benchmark: 'gallery-search',
  date: new Date().toISOString(),
  node: process.version,
  cores: os.availableParallelism(),
  dimensions: DIMENSIONS,
  data: 'uniform [0, 1) random vectors (seeded)',
  queries: { k: K, noisyStored: `stored row + uniform noise ±${NOISE} per value`, random: 'uniform random' },
  // The graph's build parameters; the search beam is swept (expansionSearch in each result).
  ann: { connectivity: ANN_DEFAULTS.connectivity, expansionAdd: ANN_DEFAULTS.expansionAdd },
  results,
};
const json = JSON.stringify(report, null, 1);
process.stdout.write(`${json}\n`);

// Appended to the day's results file (an array of reports), as the other benchmarks' results are.
if (save) {
  const resultsFile = path.join(repoRoot, 'bench/results', `${report.date.slice(0, 10)}.json`);
  const previous: unknown = fs.existsSync(resultsFile)
    ? JSON.parse(fs.readFileSync(resultsFile, 'utf8'))
    : [];
  if (!Array.isArray(previous)) throw new Error(`${resultsFile} is not a JSON array`);
  fs.writeFileSync(resultsFile, JSON.stringify([...previous, report], null, 1));
  process.stderr.write(`appended to ${path.relative(repoRoot, resultsFile)}\n`);
}
