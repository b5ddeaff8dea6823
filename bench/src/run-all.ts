// `npm run bench`: every benchmark in turn, each in its own process (so one's threads and memory do
// not disturb the next), and their JSON reports appended to bench/results/<date>.json.
//   npm run bench -- [--quick]   (--quick: smaller sizes, for a smoke run)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDist = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(benchDist, '../..');
const quick = process.argv.includes('--quick');

/**
 * ONNX models installed for benchmarks (bench/onnx-models/<name>/manifest.json, e.g. the stand-in of
 * `node bench/scripts/fetch-onnx-standin.mjs`): measured beside face-api's detectors in the same run.
 */
const onnxModelsDir = path.join(repoRoot, 'bench/onnx-models');
const onnxEngines = fs.existsSync(onnxModelsDir)
  ? fs
      .readdirSync(onnxModelsDir)
      .filter((name) => fs.existsSync(path.join(onnxModelsDir, name, 'manifest.json')))
      .map((name) => `onnx-${name}`)
  : [];
const engines = ['blazeface', 'ssd', ...onnxEngines].join(',');

/** Each benchmark's script and arguments (see the script's header for what they mean). */
const BENCHMARKS: [string, string[]][] = [
  ['queue-roundtrip.js', []],
  ['download-throughput.js', []],
  ['extract-throughput.js', ['lfw-dev', quick ? '40' : '200', engines]],
  ['train-throughput.js', [quick ? '3' : '10']],
  ['identify-latency.js', [quick ? '8' : '30', engines]],
  ['gallery-search.js', quick ? ['10000,100000'] : []],
];

function run(script: string, args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    process.stderr.write(`\n== ${script} ${args.join(' ')}\n`);
    const child = spawn(process.execPath, [path.join(benchDist, script), ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      cwd: repoRoot,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited with code ${code}`));
      // The report is the last top-level JSON object the script printed.
      const start = output.lastIndexOf('\n{\n');
      try {
        resolve(JSON.parse(output.slice(start < 0 ? output.indexOf('{') : start + 1)));
      } catch {
        reject(new Error(`${script} printed no JSON report`));
      }
    });
  });
}

const reports: unknown[] = [];
const failures: string[] = [];
for (const [script, args] of BENCHMARKS) {
  try {
    const report = await run(script, args);
    reports.push(report);
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } catch (error) {
    failures.push(error instanceof Error ? error.message : String(error));
  }
}
const resultsFile = path.join(repoRoot, 'bench/results', `${new Date().toISOString().slice(0, 10)}.json`);
const previous: unknown = fs.existsSync(resultsFile) ? JSON.parse(fs.readFileSync(resultsFile, 'utf8')) : [];
fs.mkdirSync(path.dirname(resultsFile), { recursive: true });
fs.writeFileSync(
  resultsFile,
  JSON.stringify([...(Array.isArray(previous) ? previous : []), ...reports], null, 1),
);
process.stderr.write(`\n${reports.length} reports appended to ${path.relative(repoRoot, resultsFile)}\n`);
if (failures.length > 0) {
  process.stderr.write(`failed: ${failures.join('; ')}\n`);
  process.exit(1);
}
