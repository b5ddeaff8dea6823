import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { FsObjectStore } from '@faceshot/core/storage/fs-object-store';
import { objectStoreConformance } from './object-store-conformance.js';

objectStoreConformance('filesystem', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'faceshot-fs-store-'));
  return {
    store: new FsObjectStore(root),
    presigns: false,
    stop: () => fs.rm(root, { recursive: true, force: true }),
  };
});

it('filesystem store leaves no temp files behind and removes emptied directories', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'faceshot-fs-store-'));
  try {
    const store = new FsObjectStore(root);
    await store.put('a/b/c.txt', Buffer.from('x'));
    await store.put('a/b/c.txt', Buffer.from('y'));
    assert.deepEqual(await fs.readdir(path.join(root, 'a/b')), ['c.txt']);
    await store.deleteMany(['a/b/c.txt']);
    assert.deepEqual(await fs.readdir(root), []);
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
});
