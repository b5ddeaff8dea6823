// Fetches the benchmark STAND-IN ONNX face model into bench/onnx-models/faceplugin-standin/ (gitignored):
// the three .onnx files of the npm package faceplugin-face-recognition-js@0.0.1, through `npm pack`
// (the ordinary npm client), checked against the package's published sha512, plus the manifest kept in
// bench/onnx-standin/manifest.json. Weights of unclear provenance (see that manifest): for benchmarks
// and `faceshot eval` on this machine only; never a default, never copied into the repository.
//   node bench/scripts/fetch-onnx-standin.mjs      then   ONNX_MODELS_DIR=bench/onnx-models
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE = 'faceplugin-face-recognition-js@0.0.1';
const INTEGRITY =
  'sha512-shriXjd4zJHEwhK1jHK+bWo8Vv6Vu9B/w6RRsd4AFtNM/jaI2vhuOamOSMl9qQmLd8WlQ7dgqN+3C2iOi5pXWw==';
const FILES = ['fr_detect.onnx', 'fr_landmark.onnx', 'fr_feature.onnx'];

const bench = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const target = path.join(bench, 'onnx-models', 'faceplugin-standin');
if (FILES.every((file) => existsSync(path.join(target, file)))) {
  copyFileSync(path.join(bench, 'onnx-standin', 'manifest.json'), path.join(target, 'manifest.json'));
  console.log(`already there: ${target}`);
  process.exit(0);
}
const scratch = mkdtempSync(path.join(tmpdir(), 'faceshot-standin-'));
try {
  const name = execFileSync('npm', ['pack', PACKAGE, '--pack-destination', scratch, '--silent'], {
    encoding: 'utf8',
  }).trim();
  const tarball = path.join(scratch, name.split('\n').pop() ?? '');
  const digest = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  if (digest !== INTEGRITY) throw new Error(`${PACKAGE}: integrity ${digest}, expected ${INTEGRITY}`);
  execFileSync('tar', ['-xzf', tarball, '-C', scratch, ...FILES.map((file) => `package/model/${file}`)]);
  mkdirSync(target, { recursive: true });
  for (const file of FILES)
    copyFileSync(path.join(scratch, 'package', 'model', file), path.join(target, file));
  copyFileSync(path.join(bench, 'onnx-standin', 'manifest.json'), path.join(target, 'manifest.json'));
  console.log(`stand-in model (unclear provenance, benchmarks only) in ${target}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
