#!/usr/bin/env node
// The `faceshot` command. Reads FACESHOT_API_URL (default http://127.0.0.1:3000) or --api, and the API
// key from --api-key, FACESHOT_API_KEY or ./data/api-key (the one `npm start` writes).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '@faceshot/core/config';
import { ApiClient, ApiError } from './api-client.js';
import { formatReport, importDirectory } from './import-command.js';

const USAGE = `usage:
  faceshot import <dir> [--dataset <name>] [--api <url>] [--api-key <key>]
      Uploads <dir>/<identity>/<photo> files into the dataset (created if missing; default name: the
      folder's name) and prints stored / duplicate / rejected counts per identity.

  faceshot eval --dir <dir> [--model <id>]... [--detector <name>]... [--engine <engine>]...
                [--out <file.json>] [--roc <file.png>] [--seed <n>] [--far <rate>] [--held-out <n>]
      Scores models on <dir>/<identity>/<photo> files, side by side: face-detection rate; ROC AUC,
      accuracy at the model's threshold and EER over same- and different-person pairs; one-shot
      5-, 20- and all-way identification. --model is faceapi-baseline (the default) or a trained
      model's id, read from the storage STORAGE/STORAGE_DIR/S3_* name (./data/objects by default).
      --detector (blazeface, ssd or tiny; default EXTRACT_DETECTOR) finds the faces; given several
      times, every model is scored on each detector's faces, one column per model and detector.
      --engine faceapi (the default) or onnx-<name>, an ONNX model installed under ONNX_MODELS_DIR:
      given several times, the engines run side by side on the same photos (face-api's models on
      each --detector's faces; an ONNX model finds, aligns and embeds faces with its own nets).
      --model onnx-<name> is the same as --engine onnx-<name>.
      --out writes every number as JSON, --roc one ROC plot of all models. Runs without the API.
      Two protocols: (a) people no evaluated model trained on (its card names them): the figures
      above plus open-set TAR at --far (default 0.01); (b) held-out photos against the rest of their
      person's photos (the same gallery for every model): a model card's held-out photos when the
      folder is its dataset, else --held-out photos per person (default 5); misses count as errors.

  faceshot onnx-models push <folder>
      Checks an ONNX model folder (manifest, files, each net opens with the tensors it names) and
      copies it into the object store (STORAGE/STORAGE_DIR/S3_*) as onnx-models/<folder name>/;
      API, extractor and predictor processes with ONNX_MODELS_FROM_STORE=true mirror it and list it
      as onnx-<folder name>. Runs without the API.

environment:
  FACESHOT_API_URL   the API's base URL (default http://127.0.0.1:3000)
  FACESHOT_API_KEY   the API key, sent as "Authorization: Bearer <key>". Without it and without
                     --api-key (which other users can see in the process list), the key is read
                     from ./data/api-key if that file exists: \`npm start\` writes it there.
`;

/** The first of --api-key, FACESHOT_API_KEY and ./data/api-key; none: no key (an open API). */
function apiKey(flag: string | undefined): string | undefined {
  const given = flag ?? process.env.FACESHOT_API_KEY;
  if (given !== undefined && given.trim() !== '') return given.trim();
  try {
    return readFileSync(path.resolve('data', 'api-key'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dataset: { type: 'string' },
      api: { type: 'string' },
      'api-key': { type: 'string' },
      model: { type: 'string', multiple: true },
      detector: { type: 'string', multiple: true },
      engine: { type: 'string', multiple: true },
      dir: { type: 'string' },
      out: { type: 'string' },
      roc: { type: 'string' },
      seed: { type: 'string' },
      far: { type: 'string' },
      'held-out': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, dir] = positionals;
  if (values.help || command === undefined) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  if (command === 'eval') {
    const { model, detector, out, roc, seed, far } = values;
    const args = {
      models: model ?? [],
      detectors: detector ?? [],
      engines: values.engine ?? [],
      dir: values.dir,
      out,
      roc,
      seed,
      far,
      heldOut: values['held-out'],
      extra: positionals.slice(1),
    };
    // Loaded on demand: its face-detection and TensorFlow.js modules take a second to import.
    const { evalCommand } = await import('./eval-command.js');
    return evalCommand(args, loadConfig(process.env), process.stdout, process.stderr);
  }
  if (command === 'onnx-models' && dir === 'push' && positionals.length === 3) {
    const { onnxPushCommand } = await import('./onnx-push-command.js');
    return onnxPushCommand(positionals[2] ?? '', loadConfig(process.env), process.stdout, process.stderr);
  }
  if (command !== 'import' || dir === undefined) {
    process.stderr.write(`faceshot: unknown command "${positionals.join(' ')}"\n${USAGE}`);
    return 2;
  }
  const apiUrl = values.api ?? process.env.FACESHOT_API_URL ?? 'http://127.0.0.1:3000';
  const datasetName = values.dataset ?? path.basename(path.resolve(dir));
  const client = new ApiClient(apiUrl, apiKey(values['api-key']));
  const report = await importDirectory(client, path.resolve(dir), datasetName, process.stderr);
  process.stdout.write(formatReport(report));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof ApiError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`faceshot: ${message}\n`);
    // Bad input (an unknown option, a bad environment variable) is exit 2, like the usage errors above.
    const code = (error as { code?: unknown } | null)?.code;
    const badInput =
      error instanceof ConfigError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'));
    process.exit(badInput ? 2 : 1);
  },
);
