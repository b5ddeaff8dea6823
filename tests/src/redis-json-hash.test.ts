// JsonHash: the records of the dataset, model and pipeline repositories, one JSON value per hash field.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { ModelRepository } from '@faceshot/core/datasets/model-repository';
import { JsonHash } from '@faceshot/core/redis-json-hash';
import { Redis } from 'ioredis';
import { type TestRedis, useTestRedis } from './support/test-redis.js';

let redis: TestRedis;
let client: Redis;

before(async () => {
  redis = await useTestRedis('json-hash');
  client = new Redis(redis.url);
});
after(async () => {
  client.disconnect();
  await redis.cleanup();
});

interface Note {
  id: string;
  words: string[];
}

it('stores, reads, lists and deletes records as JSON, one per field', async () => {
  const notes = new JsonHash<Note>(client, `${redis.prefix}:notes`);
  assert.equal(await notes.get('a'), undefined);
  assert.deepEqual(await notes.values(), []);
  await notes.set('a', { id: 'a', words: ['one'] });
  await notes.set('b', { id: 'b', words: [] });
  assert.deepEqual(await notes.get('a'), { id: 'a', words: ['one'] });
  assert.equal(await client.hget(`${redis.prefix}:notes`, 'b'), '{"id":"b","words":[]}');
  assert.deepEqual((await notes.values()).map((note) => note.id).sort(), ['a', 'b']);
  await notes.delete('a', 'missing');
  await notes.delete();
  assert.deepEqual(
    (await notes.values()).map((note) => note.id),
    ['b'],
  );
});

it('writes a record only if its field is free, and tells which writer won', async () => {
  const notes = new JsonHash<Note>(client, `${redis.prefix}:claims`);
  const wins = await Promise.all(
    Array.from({ length: 10 }, (_, index) => notes.setIfAbsent('x', { id: `w${index}`, words: [] })),
  );
  assert.equal(wins.filter(Boolean).length, 1);
  const winner = wins.indexOf(true);
  assert.deepEqual(await notes.get('x'), { id: `w${winner}`, words: [] });
});

it('reads model entries written before the repositories shared it', async () => {
  const entry = {
    id: 'model_0123456789abcdef',
    datasetId: 'ds_1',
    architecture: 'transfer',
    pairsId: 'pairs_0123456789abcdef',
    pairsJobId: '1',
    trainJobId: '2',
    createdAt: new Date(0).toISOString(),
  };
  await client.hset(`${redis.prefix}:meta:models`, entry.id, JSON.stringify(entry));
  const models = new ModelRepository(client, redis.prefix);
  assert.deepEqual(await models.get(entry.id), entry);
  const { modelId, pairsId } = models.newIds();
  assert.match(modelId, /^model_[0-9a-f]{16}$/);
  assert.equal(pairsId, modelId.replace('model_', 'pairs_'));
});
