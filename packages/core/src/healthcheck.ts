// `node packages/core/dist/healthcheck.js`: exits 0 when this container's Redis and object storage
// answer, 1 otherwise. Compose runs it as the healthcheck of worker roles, which have no HTTP port.
import { ConfigError, loadConfig } from './config.js';
import { createRedis, waitForRedis } from './redis.js';
import { createObjectStore } from './storage/create-object-store.js';

async function check(): Promise<string | undefined> {
  const config = loadConfig(process.env);
  const redis = createRedis(config.redis.url, 'producer', 'faceshot-healthcheck');
  redis.on('error', () => undefined);
  try {
    await waitForRedis(redis, 3_000);
    await redis.ping();
  } catch (error) {
    return `redis: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    redis.disconnect();
  }
  try {
    await createObjectStore(config.storage).ping();
  } catch (error) {
    return `storage: ${error instanceof Error ? error.message : String(error)}`;
  }
  return undefined;
}

try {
  const problem = await check();
  if (problem !== undefined) {
    process.stderr.write(`unhealthy: ${problem}\n`);
    process.exit(1);
  }
  process.exit(0);
} catch (error) {
  process.stderr.write(
    `unhealthy: ${error instanceof ConfigError ? `configuration error: ${error.message}` : String(error)}\n`,
  );
  process.exit(1);
}
