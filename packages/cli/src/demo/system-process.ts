// The demo's running system: `npm start`'s one-process stack as a child process, with its own API key
// and port, its log in a file, stopped with SIGINT (a graceful shutdown) when the demo ends.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface RunningSystem {
  apiUrl: string;
  apiKey: string;
  logFile: string;
  stop(): Promise<void>;
}

const STANDALONE_MAIN = fileURLToPath(
  new URL('../../../../services/standalone/dist/main.js', import.meta.url),
);

async function readyWithin(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`the system exited with code ${child.exitCode} while starting`);
    const ready = await fetch(`${url}/readyz`)
      .then((response) => response.ok)
      .catch(() => false);
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`the system did not answer ${url}/readyz within ${timeoutMs / 1000} s`);
}

export async function startSystem(options: {
  port: number;
  dataDir: string;
  env: NodeJS.ProcessEnv;
}): Promise<RunningSystem> {
  await fs.mkdir(options.dataDir, { recursive: true });
  const logFile = path.join(options.dataDir, 'demo.log');
  const log = createWriteStream(logFile, { flags: 'a' });
  const apiKey = randomBytes(24).toString('base64url');
  const apiUrl = `http://127.0.0.1:${options.port}`;
  const child = spawn(process.execPath, [STANDALONE_MAIN], {
    env: {
      ...options.env,
      API_HOST: '127.0.0.1',
      API_PORT: String(options.port),
      API_AUTH: 'keys',
      API_KEYS: `demo:admin:${apiKey}`,
      DATA_DIR: options.dataDir,
      LOG_FORMAT: 'json',
      LOG_LEVEL: options.env.LOG_LEVEL ?? 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGINT');
      const killed = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killed);
    }
    log.end();
  };
  try {
    await readyWithin(apiUrl, child, 120_000);
  } catch (error) {
    await stop();
    const tail = (await fs.readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}; last lines of ${logFile}:\n${tail}`,
    );
  }
  return { apiUrl, apiKey, logFile, stop };
}
