import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LruCache } from './lru-cache.js';

describe('LruCache', () => {
  it('drops the least recently used entry past its capacity, and says so', () => {
    const evicted: string[] = [];
    const cache = new LruCache<string, number>(2, (_, key) => evicted.push(key));
    cache.set('a', 1);
    cache.set('b', 2);
    assert.equal(cache.get('a'), 1); // a is now the most recently used
    cache.set('c', 3);
    assert.deepEqual(evicted, ['b']);
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.size, 2);
    cache.set('a', 10); // replacing a value releases the old one
    assert.deepEqual(evicted, ['b', 'a']);
    cache.delete('c');
    cache.clear();
    assert.deepEqual(evicted, ['b', 'a', 'c', 'a']);
    assert.equal(cache.size, 0);
  });

  it('refuses a capacity below one', () => {
    assert.throws(() => new LruCache(0), /positive integer/);
  });
});
