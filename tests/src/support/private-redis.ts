// A redis-server of the test's own (from PATH), for faults that take Redis away: a free port, AOF on,
// no RDB snapshots, data in a temporary directory. `stop` shuts it down gracefully (SIGTERM: the AOF is
// flushed), `start` brings it back on the same port with the same data.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@faceshot/core/free-port';

export interface PrivateRedis {
  port: number;
  url: string;
  /** The data directory (appendonlydir/ lives here). */
  dir: string;
  readonly running: boolean;
  /** Graceful shutdown (SIGTERM); resolves once the server has exited, with how long that took. */
  stop(): Promise<number>;
  /** Starts the server again on the same port and directory; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it (if running) and deletes its directory. */
  close(): Promise<void>;
}

async function launch(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server did not start within 15 s:\n${output}`));
    }, 15_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    };
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not run redis-server (is it on PATH?): ${error.message}`));
    });
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
  // Keep draining its log so a full pipe never blocks it.
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => child.once('exit', resolve));
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'faceshot-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined = await launch(port, dir);
  const killOnExit = () => child?.kill('SIGKILL');
  process.on('exit', killOnExit);

  const redis: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    async stop() {
      const started = Date.now();
      if (child !== undefined) {
        child.kill('SIGTERM');
        await exited(child);
        child = undefined;
      }
      return Date.now() - started;
    },
    async start() {
      if (child !== undefined) throw new Error('the private redis-server is already running');
      // The port was ours a moment ago; if something else grabbed it meanwhile, retry for a while.
      for (let attempt = 1; ; attempt++) {
        try {
          child = await launch(port, dir);
          return;
        } catch (error) {
          if (attempt >= 10 || !String(error).includes('Address already in use')) throw error;
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
      }
    },
    async close() {
      if (child !== undefined) {
        child.kill('SIGKILL');
        await exited(child);
        child = undefined;
      }
      process.off('exit', killOnExit);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
  return redis;
}
