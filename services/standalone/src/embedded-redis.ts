// Redis for the one-process stack: REDIS_URL if set; else a server already on 127.0.0.1:6379; else a
// private redis-server started here (data under DATA_DIR/redis, stopped when the stack stops).
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '@faceshot/core/config';
import { freePort } from '@faceshot/core/free-port';
import type { Logger } from '@faceshot/core/logger';
import { Redis } from 'ioredis';

const DEFAULT_URL = 'redis://127.0.0.1:6379';

export interface ResolvedRedis {
  url: string;
  /** Stops the private server if one was started; otherwise does nothing. */
  stop(): Promise<void>;
}

/** True if a Redis server answers PING at `url` within `timeoutMs`. */
export async function redisAnswers(url: string, timeoutMs: number): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export function findOnPath(command: string, searchPath: string): string | undefined {
  for (const directory of searchPath.split(path.delimiter)) {
    if (directory === '') continue;
    const candidate = path.join(directory, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** True once the child has exited; false if it has not within `ms`. */
export function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function startPrivateRedis(
  redisServer: string,
  dataDir: string,
  logger: Logger,
): Promise<ResolvedRedis> {
  const directory = path.join(dataDir, 'redis');
  mkdirSync(directory, { recursive: true });
  const port = await freePort();
  // Its own process group, so a terminal's Ctrl-C reaches only us and the workers can still finish
  // their jobs against Redis before we stop it.
  const child = spawn(
    redisServer,
    ['--bind', '127.0.0.1', '--port', String(port), '--dir', directory, '--appendonly', 'yes', '--save', ''],
    { detached: true, stdio: 'ignore' },
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers(url, 500))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the private redis-server (${redisServer}) did not start on port ${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  logger.info({ url, dataDir: directory, pid: child.pid }, 'started a private redis-server');
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      if (!(await waitForExit(child, 5_000))) {
        child.kill('SIGKILL');
        await waitForExit(child, 2_000);
      }
      process.off('exit', killOnExit);
      logger.info('private redis-server stopped');
    },
  };
}

/** `probeUrl` is where a local Redis is looked for when REDIS_URL is not set (tests change it). */
export async function resolveRedis(
  config: Config,
  logger: Logger,
  probeUrl = DEFAULT_URL,
): Promise<ResolvedRedis> {
  const nothingToStop = async () => undefined;
  if (config.redis.urlFromEnv) return { url: config.redis.url, stop: nothingToStop };
  if (await redisAnswers(probeUrl, 1_000)) return { url: probeUrl, stop: nothingToStop };
  const redisServer = findOnPath('redis-server', config.executableSearchPath);
  if (redisServer === undefined) {
    throw new Error(
      `no Redis answers at ${probeUrl.replace('redis://', '')} and redis-server is not on PATH: install Redis (e.g. apt-get install redis-server) or set REDIS_URL`,
    );
  }
  return startPrivateRedis(redisServer, config.dataDir, logger);
}
