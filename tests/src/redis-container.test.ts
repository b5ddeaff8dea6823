// Redis-dependent tests can take a Redis container of their own (TEST_REDIS=container makes every test
// file do so): the helper starts one through testcontainers, the file uses it under its prefix, and
// cleanup removes the container. Skipped, with the reason, where no container runtime answers.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Redis } from 'ioredis';
import { startRedisContainer, useTestRedis } from './support/test-redis.js';

it('runs against a Redis container of its own and removes it afterwards', { timeout: 180_000 }, async (t) => {
  const probe = await startRedisContainer();
  if (probe === undefined) {
    t.skip('no container runtime answers (DOCKER_HOST, the Docker socket): nothing to test here');
    return;
  }
  await probe.stop();
  const redis = await useTestRedis('redis-container', { container: true });
  assert.equal(redis.source, 'container');
  t.diagnostic(`Redis container at ${redis.url}`);
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  try {
    assert.match(String(await client.info('server')), /redis_version:\d+/);
    await client.set(`${redis.prefix}:greeting`, 'hello');
    assert.equal(await client.get(`${redis.prefix}:greeting`), 'hello');
  } finally {
    client.disconnect();
  }
  await redis.cleanup();
  const after = new Redis(redis.url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  after.on('error', () => undefined);
  await assert.rejects(after.connect(), 'the container is gone after cleanup');
  after.disconnect();
});
