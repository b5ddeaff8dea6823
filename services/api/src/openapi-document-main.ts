// `npm run openapi`: writes the OpenAPI document the API serves at /docs/json, with the default
// configuration (API keys on, default limits), to packages/client/openapi.json. The typed client is
// generated from that file, and a test fails while it differs from what the API serves.
// Needs Redis (REDIS_URL, else 127.0.0.1:6379) because the app is built as it runs; nothing is written there.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@faceshot/core/config';
import { createLogger } from '@faceshot/core/logger';
import { closeRuntime, createRuntime } from '@faceshot/core/runtime';
import { buildApi } from './app.js';
import { apiDependenciesOf } from './start-api.js';

const target = path.resolve(process.argv[2] ?? 'packages/client/openapi.json');
const scratch = await mkdtemp(path.join(os.tmpdir(), 'faceshot-openapi-'));
try {
  const config = loadConfig({
    ...(process.env.REDIS_URL === undefined ? {} : { REDIS_URL: process.env.REDIS_URL }),
    REDIS_PREFIX: 'faceshot-openapi',
    STORAGE_DIR: path.join(scratch, 'objects'),
    TEMP_DIR: path.join(scratch, 'tmp'),
    LOG_LEVEL: 'silent',
    API_KEYS: `openapi:admin:${randomBytes(16).toString('hex')}`,
  });
  const runtime = await createRuntime(config, createLogger(config.log));
  try {
    const app = await buildApi(apiDependenciesOf(runtime));
    await app.ready();
    await writeFile(target, `${JSON.stringify(app.swagger(), null, 2)}\n`);
    await app.close();
  } finally {
    await closeRuntime(runtime);
  }
  console.log(`wrote ${path.relative(process.cwd(), target)}`);
} finally {
  await rm(scratch, { recursive: true, force: true });
}
