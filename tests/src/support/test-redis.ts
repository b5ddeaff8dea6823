// Each test file gets Redis (REDIS_URL, else 127.0.0.1:6379) under its own key prefix, and deletes
// every key under that prefix when it is done.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

export interface TestRedis {
  url: string;
  prefix: string;
  /** Deletes every key under the prefix and closes the helper's connection. */
  cleanup(): Promise<void>;
}

export function testRedisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<number> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return deleted;
}

export async function useTestRedis(label: string): Promise<TestRedis> {
  const url = testRedisUrl();
  const prefix = `faceshot-test-${label}-${randomUUID().slice(0, 8)}`;
  const probe = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => null });
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    throw new Error(
      `tests need Redis at ${url} (set REDIS_URL): ${error instanceof Error ? error.message : error}`,
    );
  } finally {
    probe.disconnect();
  }
  return {
    url,
    prefix,
    async cleanup() {
      await deleteKeysWithPrefix(url, prefix);
    },
  };
}
