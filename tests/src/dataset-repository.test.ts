// Creating a dataset claims its name and writes its record in one atomic step.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { DatasetNameTakenError, DatasetRepository } from '@faceshot/core/datasets/dataset-repository';
import { Redis } from 'ioredis';
import { type TestRedis, useTestRedis } from './support/test-redis.js';

let redis: TestRedis;
let client: Redis;

before(async () => {
  redis = await useTestRedis('dataset-repo');
  client = new Redis(redis.url);
});
after(async () => {
  client.disconnect();
  await redis.cleanup();
});

it('lets exactly one of many concurrent creates of a name win, and each name names a record', async () => {
  const datasets = new DatasetRepository(client, redis.prefix);
  const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => datasets.create('same')));
  const created = outcomes.filter((outcome) => outcome.status === 'fulfilled');
  assert.equal(created.length, 1);
  const winner = (created[0] as PromiseFulfilledResult<{ id: string }>).value.id;
  for (const outcome of outcomes) {
    if (outcome.status === 'rejected') {
      assert.ok(outcome.reason instanceof DatasetNameTakenError);
      assert.equal(outcome.reason.existingId, winner);
    }
  }
  assert.equal((await datasets.findByName('same'))?.id, winner);
  const names = await client.hgetall(`${redis.prefix}:meta:dataset-names`);
  for (const id of Object.values(names)) assert.ok(await datasets.get(id), `name points at missing ${id}`);
});

it('leaves no name claimed by nothing when the connection dies after one round trip', async () => {
  // A client that answers one command and then fails every further one: a crash mid-create.
  let commands = 0;
  const dying = new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (
        typeof value !== 'function' ||
        !['hsetnx', 'hset', 'hget', 'eval', 'multi'].includes(String(property))
      )
        return value;
      return (...args: unknown[]) => {
        commands += 1;
        if (commands > 1) return Promise.reject(new Error('connection lost'));
        return (value as (...parameters: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const datasets = new DatasetRepository(dying, redis.prefix);
  try {
    await datasets.create('crash-test');
  } catch (error) {
    assert.match(String(error), /connection lost/);
  }
  const id = await client.hget(`${redis.prefix}:meta:dataset-names`, 'crash-test');
  if (id !== null) {
    assert.ok(
      await new DatasetRepository(client, redis.prefix).get(id),
      'the name is claimed but its record was never written',
    );
  }
});
