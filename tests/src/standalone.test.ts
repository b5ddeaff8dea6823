// `npm start` as a user runs it: a real process, real Redis, real HTTP, real signals.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@faceshot/core/config';
import { freePort } from '@faceshot/core/free-port';
import { createLogger } from '@faceshot/core/logger';
import { redisAnswers, resolveRedis } from '@faceshot/standalone/embedded-redis';
import { startStandalone } from '@faceshot/standalone/standalone';
import { getJson } from './support/http.js';
import { pollUntil } from './support/poll.js';
import { type TestRedis, useTestRedis } from './support/test-redis.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const standaloneMain = path.join(repoRoot, 'services/standalone/dist/main.js');

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function run(env: Record<string, string>): {
  child: ChildProcess;
  exited: Promise<Exit>;
  output: () => string;
} {
  const started = Date.now();
  const child = spawn(process.execPath, [standaloneMain], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - started }));
  });
  return { child, exited, output: () => stdout };
}

async function waitForReady(baseUrl: string, timeoutMs: number): Promise<void> {
  // An error is a server not listening yet.
  await pollUntil(
    async () => ((await getJson(`${baseUrl}/readyz`)).status === 200 ? true : undefined),
    timeoutMs,
    `${baseUrl}/readyz to answer 200`,
    { intervalMs: 100, retryErrors: true },
  );
}

/** Names of the live child processes of `pid`, read from /proc. */
async function childProcessNames(pid: number): Promise<string[]> {
  const names: string[] = [];
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await fs.readFile(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces, so split after the last ")".
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === pid && state !== 'Z') names.push(comm);
    } catch {
      // the process ended while we looked
    }
  }
  return names;
}

describe('npm start (the one-process stack)', () => {
  let redis: TestRedis;
  let dataDir: string;

  before(async () => {
    redis = await useTestRedis('standalone');
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'faceshot-standalone-'));
  });
  after(async () => {
    await redis.cleanup();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('serves the API with every role, is ready, and exits 0 on Ctrl-C within 10 s', async () => {
    const port = await freePort();
    const { child, exited, output } = run({
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      API_PORT: String(port),
      DATA_DIR: dataDir,
    });
    try {
      await waitForReady(`http://127.0.0.1:${port}`, 20_000);
      // The trainer runs in a child process of its own; let it come up before Ctrl-C.
      const deadline = Date.now() + 20_000;
      while (!/"role":"trainer".*"msg":"role started"/.test(output()) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const signalled = Date.now();
      child.kill('SIGINT');
      const exit = await exited;
      assert.equal(exit.code, 0, exit.stderr);
      assert.ok(Date.now() - signalled < 10_000, `took ${Date.now() - signalled} ms to exit`);
      for (const role of ['downloader', 'extractor', 'pairs', 'trainer', 'predictor']) {
        assert.match(
          exit.stdout,
          new RegExp(`"role":"${role}".*"msg":"role started"`),
          `${role} did not start`,
        );
      }
      assert.match(exit.stdout, /"msg":"faceshot is running"/);
      assert.match(exit.stdout, /"msg":"stopped"/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  for (const [variable, value] of [
    ['REDIS_URL', 'notaurl'],
    ['API_PORT', '70000'],
    ['STORAGE', 's3'],
  ] as const) {
    it(`exits non-zero with one line naming ${variable} when it is "${value}"`, async () => {
      const { exited } = run({ [variable]: value, DATA_DIR: dataDir });
      const exit = await exited;
      assert.notEqual(exit.code, 0);
      const lines = exit.stderr.trim().split('\n');
      assert.equal(lines.length, 1, exit.stderr);
      const expectedVariable = variable === 'STORAGE' ? 'S3_ENDPOINT' : variable;
      assert.match(lines[0] ?? '', new RegExp(`configuration error: ${expectedVariable}: `));
      assert.equal(exit.stdout, '');
    });
  }
});

describe('Redis for the one-process stack', () => {
  it('starts a private redis-server under DATA_DIR when nothing answers, and stops it', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'faceshot-private-redis-'));
    const port = await freePort();
    const config = loadConfig({
      DATA_DIR: dataDir,
      API_PORT: String(port),
      LOG_LEVEL: 'silent',
      PATH: process.env.PATH,
    });
    const nobodyHome = `redis://127.0.0.1:${await freePort()}`;
    const running = await startStandalone(
      config,
      createLogger(config.log),
      { PATH: process.env.PATH, LOG_LEVEL: 'silent' },
      nobodyHome,
    );
    try {
      assert.notEqual(running.redisUrl, nobodyHome);
      assert.ok(await redisAnswers(running.redisUrl, 1_000));
      await waitForReady(`http://127.0.0.1:${port}`, 10_000);
      assert.ok(
        (await fs.readdir(path.join(dataDir, 'redis'))).length > 0,
        'redis keeps its data under DATA_DIR',
      );
      const children = await childProcessNames(process.pid);
      assert.ok(children.includes('redis-server'), `children: ${children.join(', ')}`);
      assert.ok(children.includes('node'), 'the trainer runs in a child process');
    } finally {
      await running.stop();
    }
    assert.equal(await redisAnswers(running.redisUrl, 500), false, 'private redis still answers after stop');
    assert.deepEqual(await childProcessNames(process.pid), [], 'a child process was left behind');
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('says how to get Redis when none answers and redis-server is not on PATH', async () => {
    const config = loadConfig({ PATH: '/nonexistent', LOG_LEVEL: 'silent' });
    const nobodyHome = `redis://127.0.0.1:${await freePort()}`;
    await assert.rejects(
      resolveRedis(config, createLogger(config.log), nobodyHome),
      /no Redis answers at 127\.0\.0\.1:\d+ and redis-server is not on PATH: install Redis .* or set REDIS_URL/,
    );
  });

  it('uses REDIS_URL as given without probing or starting anything', async () => {
    const config = loadConfig({ REDIS_URL: 'redis://example.invalid:6390', LOG_LEVEL: 'silent' });
    const resolved = await resolveRedis(config, createLogger(config.log), 'redis://127.0.0.1:1');
    assert.equal(resolved.url, 'redis://example.invalid:6390');
  });
});
