#!/usr/bin/env node
// The `faceshot` command. Reads FACESHOT_API_URL (default http://127.0.0.1:3000) or --api.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ApiClient, ApiError } from './api-client.js';
import { formatReport, importDirectory } from './import-command.js';

const USAGE = `usage:
  faceshot import <dir> [--dataset <name>] [--api <url>]
      Uploads <dir>/<identity>/<photo> files into the dataset (created if missing; default name: the
      folder's name) and prints stored / duplicate / rejected counts per identity.

environment:
  FACESHOT_API_URL   the API's base URL (default http://127.0.0.1:3000)
`;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dataset: { type: 'string' },
      api: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, dir] = positionals;
  if (values.help || command === undefined) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  if (command !== 'import' || dir === undefined) {
    process.stderr.write(`faceshot: unknown command "${positionals.join(' ')}"\n${USAGE}`);
    return 2;
  }
  const apiUrl = values.api ?? process.env.FACESHOT_API_URL ?? 'http://127.0.0.1:3000';
  const datasetName = values.dataset ?? path.basename(path.resolve(dir));
  const report = await importDirectory(new ApiClient(apiUrl), path.resolve(dir), datasetName, process.stderr);
  process.stdout.write(formatReport(report));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof ApiError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`faceshot: ${message}\n`);
    process.exit(1);
  },
);
