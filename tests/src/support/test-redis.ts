// Each test file gets Redis under its own key prefix, and deletes every key under that prefix when it is
// done. Which Redis: REDIS_URL, else 127.0.0.1:6379; a Redis container of the file's own
// (testcontainers) when TEST_REDIS=container, or when neither answers and a container runtime does.
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

async function answers(url: string): Promise<string | undefined> {
  const probe = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    probe.disconnect();
  }
}

/** The Redis image of ../shared/tools/containers.sh where it exists locally, else the official one. */
const LOCAL_REDIS_IMAGE = 'localhost/faceshot-redis:8';
const REDIS_IMAGE = 'redis:7.4-alpine';

/** A Redis container of the caller's own, or undefined when no container runtime answers. */
export async function startRedisContainer(): Promise<{ url: string; stop(): Promise<void> } | undefined> {
  const { GenericContainer, getContainerRuntimeClient, ImageName, Wait } = await import('testcontainers');
  let client: Awaited<ReturnType<typeof getContainerRuntimeClient>>;
  try {
    client = await getContainerRuntimeClient();
  } catch {
    return undefined;
  }
  const local = await client.image.exists(ImageName.fromString(LOCAL_REDIS_IMAGE));
  const container = await new GenericContainer(local ? LOCAL_REDIS_IMAGE : REDIS_IMAGE)
    .withCommand([
      'redis-server',
      '--bind',
      '0.0.0.0',
      '--protected-mode',
      'no',
      '--save',
      '',
      '--appendonly',
      'no',
    ])
    .withExposedPorts(6379)
    .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
    .withStartupTimeout(60_000)
    .start();
  return {
    url: `redis://${container.getHost()}:${container.getMappedPort(6379)}`,
    stop: async () => {
      await container.stop({ timeout: 0 });
    },
  };
}

export async function useTestRedis(
  label: string,
  options: { container?: boolean } = {},
): Promise<TestRedis & { source: 'environment' | 'container' }> {
  const prefix = `faceshot-test-${label}-${randomUUID().slice(0, 8)}`;
  const wantContainer = options.container === true || process.env.TEST_REDIS === 'container';
  const url = testRedisUrl();
  const problem = wantContainer ? 'a container was asked for' : await answers(url);
  if (problem === undefined) {
    return {
      url,
      prefix,
      source: 'environment',
      async cleanup() {
        await deleteKeysWithPrefix(url, prefix);
      },
    };
  }
  const container = await startRedisContainer();
  if (container === undefined)
    throw new Error(`tests need Redis at ${url} (set REDIS_URL) or a container runtime: ${problem}`);
  return {
    url: container.url,
    prefix,
    source: 'container',
    async cleanup() {
      try {
        await deleteKeysWithPrefix(container.url, prefix);
      } finally {
        await container.stop();
      }
    },
  };
}
