// API keys over real HTTP: who gets in where, what a refusal looks like, the dashboard's cookie, open
// mode's warning, the API's refusal to start without keys, and the CLI sending its key.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { buildApi } from '@faceshot/api/app';
import { apiDependenciesOf } from '@faceshot/api/start-api';
import { ConfigError } from '@faceshot/core/config';
import { createLogger } from '@faceshot/core/logger';
import { type ApiStack, startApiStack } from './support/api-stack.js';
import { datasetPath, repoRoot } from './support/datasets.js';
import { bearer, call, postJsonAs, TEST_API_KEYS, TEST_KEYS } from './support/gateway.js';
import { assertProblem } from './support/http.js';
import { runCli } from './support/run-command.js';

describe('API keys', () => {
  let stack: ApiStack;
  before(async () => {
    stack = await startApiStack('gateway-auth', { API_AUTH: 'keys', API_KEYS: TEST_API_KEYS });
  });
  after(async () => {
    await stack.stop();
  });

  it('leaves /healthz, /readyz, /docs and /metrics public', async () => {
    for (const route of ['/healthz', '/readyz', '/docs', '/docs/json', '/metrics']) {
      const response = await call(`${stack.baseUrl}${route}`);
      assert.equal(response.status, 200, `${route}: ${response.text.slice(0, 200)}`);
    }
  });

  it('answers 401 problem+json with WWW-Authenticate: Bearer when the key is missing', async () => {
    for (const route of ['/v1/datasets', '/v1/jobs/extract/1', '/v1/no-such-route']) {
      const response = await call(`${stack.baseUrl}${route}`);
      assertProblem(response, 401, /API key is required/);
      assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="faceshot"');
    }
  });

  it('answers 401 for a wrong key without naming any configured key', async () => {
    for (const authorization of [
      'Bearer wrong-secret-0123456789abcdef',
      `Basic ${TEST_KEYS.writer}`,
      'Bearer',
    ]) {
      const response = await call(`${stack.baseUrl}/v1/datasets`, { headers: { authorization } });
      assertProblem(response, 401, /not valid/);
      assert.match(
        response.headers.get('www-authenticate') ?? '',
        /^Bearer realm="faceshot", error="invalid_token"$/,
      );
      assert.doesNotMatch(response.text, /reader|writer|ops/);
    }
  });

  it('lets a read key GET but not POST or DELETE (403)', async () => {
    const list = await call(`${stack.baseUrl}/v1/datasets`, { headers: bearer(TEST_KEYS.reader) });
    assert.equal(list.status, 200, list.text);
    const head = await call(`${stack.baseUrl}/v1/datasets`, {
      method: 'HEAD',
      headers: bearer(TEST_KEYS.reader),
    });
    assert.equal(head.status, 200);
    const create = await call(`${stack.baseUrl}/v1/datasets`, postJsonAs(TEST_KEYS.reader, { name: 'nope' }));
    assertProblem(create, 403, /read-only/);
    assert.match(create.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
    const remove = await call(`${stack.baseUrl}/v1/datasets/ds_x`, {
      method: 'DELETE',
      headers: bearer(TEST_KEYS.reader),
    });
    assertProblem(remove, 403, /read-only/);
  });

  it('lets a write key change things under /v1 but not open /admin', async () => {
    const create = await call(
      `${stack.baseUrl}/v1/datasets`,
      postJsonAs(TEST_KEYS.writer, { name: 'by-writer' }),
    );
    assert.equal(create.status, 201, create.text);
    const admin = await call(`${stack.baseUrl}/admin/queues`, { headers: bearer(TEST_KEYS.writer) });
    assertProblem(admin, 403, /admin key/);
  });

  it('guards the queue dashboard: 401 without a key, 200 with an admin key', async () => {
    assertProblem(await call(`${stack.baseUrl}/admin/queues`), 401, /API key is required/);
    assertProblem(await call(`${stack.baseUrl}/admin/queues/api/queues`), 401, /API key is required/);
    const page = await call(`${stack.baseUrl}/admin/queues`, { headers: bearer(TEST_KEYS.admin) });
    assert.equal(page.status, 200);
    assert.match(page.contentType, /^text\/html/);
    const api = await call(`${stack.baseUrl}/admin/queues/api/queues`, { headers: bearer(TEST_KEYS.admin) });
    assert.equal(api.status, 200, api.text);
    const names = (api.body.queues as { name: string }[]).map((queue) => queue.name).sort();
    assert.deepEqual(names, ['curate', 'download', 'enrol', 'extract', 'pairs', 'predict', 'train']);
  });

  it('takes an admin key once as ?key=, sets an HttpOnly SameSite=Strict cookie for /admin only', async () => {
    const exchange = await call(`${stack.baseUrl}/admin/queues?key=${TEST_KEYS.admin}`);
    assert.equal(exchange.status, 303);
    assert.equal(exchange.headers.get('location'), '/admin/queues');
    const setCookie = exchange.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^faceshot_admin=[^;]+; Path=\/admin; HttpOnly; SameSite=Strict$/);
    const cookie = setCookie.split(';')[0] ?? '';
    assert.ok(!cookie.includes(TEST_KEYS.admin), 'the cookie is not the key itself');

    assert.equal((await call(`${stack.baseUrl}/admin/queues`, { headers: { cookie } })).status, 200);
    const api = await call(`${stack.baseUrl}/admin/queues/api/queues`, { headers: { cookie } });
    assert.equal(api.status, 200, api.text);
    // The cookie is no API key: /v1 still wants a bearer header.
    assertProblem(await call(`${stack.baseUrl}/v1/datasets`, { headers: { cookie } }), 401, /required/);
    assertProblem(
      await call(`${stack.baseUrl}/admin/queues`, { headers: { cookie: 'faceshot_admin=forged' } }),
      401,
      /not valid/,
    );
    assertProblem(await call(`${stack.baseUrl}/admin/queues?key=${TEST_KEYS.writer}`), 403, /admin key/);
    assertProblem(await call(`${stack.baseUrl}/admin/queues?key=wrong-secret-0123456789`), 401, /not valid/);
  });
});

describe('METRICS_PUBLIC=false', () => {
  let stack: ApiStack;
  before(async () => {
    stack = await startApiStack('gateway-metrics-key', {
      API_AUTH: 'keys',
      API_KEYS: TEST_API_KEYS,
      METRICS_PUBLIC: 'false',
    });
  });
  after(async () => {
    await stack.stop();
  });

  it('asks for a key on /metrics; any role may read it', async () => {
    assertProblem(await call(`${stack.baseUrl}/metrics`), 401, /API key is required/);
    const scraped = await call(`${stack.baseUrl}/metrics`, { headers: bearer(TEST_KEYS.reader) });
    assert.equal(scraped.status, 200);
    assert.match(scraped.text, /faceshot_queue_depth/);
  });
});

describe('starting without keys', () => {
  let stack: ApiStack;
  before(async () => {
    stack = await startApiStack('gateway-open', {});
  });
  after(async () => {
    await stack.stop();
  });

  it('refuses keys mode with no API_KEYS, naming the variable', async () => {
    const deps = apiDependenciesOf(stack.runtime);
    await assert.rejects(
      buildApi({ ...deps, gateway: { ...deps.gateway, auth: 'keys', keys: [] } }),
      (error: unknown) => error instanceof ConfigError && error.variable === 'API_KEYS',
    );
  });

  it('logs a warning on every start in open mode, and lets requests in without a key', async () => {
    const lines: { level: number; msg: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
        callback();
      },
    });
    const deps = apiDependenciesOf(stack.runtime);
    for (let start = 0; start < 2; start++) {
      const logger = createLogger({ level: 'warn', format: 'json' }, {}, false, sink);
      const app = await buildApi({ ...deps, logger });
      try {
        const response = await app.inject({ url: '/v1/datasets' });
        assert.equal(response.statusCode, 200);
      } finally {
        await app.close();
      }
    }
    const warnings = lines.filter((line) => line.level === 40 && /API_AUTH=open/.test(line.msg));
    assert.equal(warnings.length, 2, JSON.stringify(lines));
  });

  it('the API process exits 2 with one line naming API_KEYS', async () => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'services/api/dist/main.js')], {
      env: { PATH: process.env.PATH ?? '', REDIS_URL: stack.redis.url, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 2, stderr);
    assert.match(
      stderr.trim(),
      /^faceshot api: configuration error: API_KEYS: is required when API_AUTH=keys/,
    );
    assert.equal(stderr.trim().split('\n').length, 1);
  });
});

describe('faceshot CLI with a key', () => {
  let stack: ApiStack;
  let workDir: string;
  let photos: string;
  before(async () => {
    stack = await startApiStack('gateway-cli', { API_AUTH: 'keys', API_KEYS: TEST_API_KEYS });
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'faceshot-cli-key-'));
    photos = path.join(workDir, 'photos');
    await fs.mkdir(path.join(photos, 'iu'), { recursive: true });
    for (const file of ['iu-001.jpg', 'iu-002.jpg']) {
      await fs.copyFile(datasetPath('seed-gray-faces', 'iu', file), path.join(photos, 'iu', file));
    }
  });
  after(async () => {
    await stack.stop();
    await fs.rm(workDir, { recursive: true, force: true });
  });

  function runCliOnStack(args: string[], cwd: string, env: Record<string, string> = {}) {
    return runCli(args, { cwd, env: { FACESHOT_API_URL: stack.baseUrl, ...env } });
  }

  it('fails with a hint without a key, and imports with FACESHOT_API_KEY, --api-key or ./data/api-key', async () => {
    const refused = await runCliOnStack(['import', photos, '--dataset', 'keyed'], workDir);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /HTTP 401: .*FACESHOT_API_KEY or --api-key/);

    const fromEnv = await runCliOnStack(['import', photos, '--dataset', 'keyed'], workDir, {
      FACESHOT_API_KEY: TEST_KEYS.writer,
    });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.match(fromEnv.stdout, /total\s+2\s+2\s+0\s+0/);

    const fromFlag = await runCliOnStack(
      ['import', photos, '--dataset', 'keyed', '--api-key', TEST_KEYS.writer],
      workDir,
    );
    assert.equal(fromFlag.code, 0, fromFlag.stderr);
    assert.match(fromFlag.stdout, /total\s+2\s+0\s+2\s+0/);

    await fs.mkdir(path.join(workDir, 'data'));
    await fs.writeFile(path.join(workDir, 'data', 'api-key'), `${TEST_KEYS.writer}\n`, { mode: 0o600 });
    const fromFile = await runCliOnStack(['import', photos, '--dataset', 'keyed'], workDir);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.match(fromFile.stdout, /total\s+2\s+0\s+2\s+0/);
  });
});
