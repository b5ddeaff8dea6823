// The one factory for Redis clients. Workers block on Redis and must retry forever (BullMQ requires
// maxRetriesPerRequest: null); producers such as the API must fail fast so a request gets an error
// instead of hanging while Redis is down.
import { Redis, type RedisOptions } from 'ioredis';

export type RedisClientKind = 'worker' | 'producer';

export function redisOptions(kind: RedisClientKind): RedisOptions {
  const common: RedisOptions = {
    lazyConnect: false,
    connectTimeout: 5_000,
    // Back off up to 2 s between reconnection attempts; never give up (Redis may be restarting).
    retryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000),
  };
  return kind === 'worker'
    ? { ...common, maxRetriesPerRequest: null, enableOfflineQueue: true }
    : { ...common, maxRetriesPerRequest: 1, enableOfflineQueue: false };
}

export function createRedis(url: string, kind: RedisClientKind, connectionName?: string): Redis {
  return new Redis(url, {
    ...redisOptions(kind),
    ...(connectionName === undefined ? {} : { connectionName }),
  });
}

/** Resolves once the client is ready, or rejects after `timeoutMs` with the last connection error. */
export async function waitForRedis(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    let lastError: Error | undefined;
    const onError = (error: Error) => {
      lastError = error;
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Error(`Redis did not answer within ${timeoutMs} ms${lastError ? `: ${lastError.message}` : ''}`),
      );
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
    };
    client.on('ready', onReady);
    client.on('error', onError);
  });
}
