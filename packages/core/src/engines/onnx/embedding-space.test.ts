// The embedding space names the recognition net's bytes: the same file gives the same space (hashed
// once), a replaced net another, even when the replacement keeps the size and modification time.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import { MANIFEST_FILE } from './onnx-manifest.js';
import { embeddingSpaceOf, installedEmbeddingSpace } from './onnx-model-catalogue.js';

const root = await mkdtemp(path.join(tmpdir(), 'faceshot-embedding-space-'));
after(() => rm(root, { recursive: true, force: true }));

it('follows the recognition net, not its name, size or modification time', async () => {
  const directory = path.join(root, 'm');
  const manifest = JSON.parse(
    '{"detector":{"file":"d.onnx","input":{"name":"i","width":32,"height":32,"colour":"rgb","normalisation":{"mean":[0],"std":[1]}},"output":{"layout":"corner-boxes","scores":"s","boxes":"b","faceColumn":1},"minScore":0.5,"nmsIou":0.4},' +
      '"landmarks":{"file":"l.onnx","input":{"name":"i","size":16,"colour":"grey","normalisation":{"mean":[0],"std":[1]}},"output":{"name":"o","points":68}},' +
      '"recognition":{"file":"r.onnx","input":{"name":"i","size":112,"colour":"rgb","normalisation":{"mean":[0],"std":[1]}},"output":{"name":"o","size":3}},' +
      '"alignment":"arcface-112-similarity","distance":"cosine","threshold":0.5}',
  );
  await mkdir(directory);
  await writeFile(path.join(directory, MANIFEST_FILE), JSON.stringify(manifest));
  for (const file of ['d.onnx', 'l.onnx']) await writeFile(path.join(directory, file), 'net');
  const net = path.join(directory, 'r.onnx');
  await writeFile(net, 'first net');
  const first = await installedEmbeddingSpace(root, 'onnx-m');
  assert.match(String(first), /^onnx-m@[0-9a-f]{16}$/);
  assert.equal(await installedEmbeddingSpace(root, 'onnx-m'), first);
  assert.equal(await installedEmbeddingSpace(root, 'onnx-other'), undefined);

  const { atime, mtime } = await stat(net);
  await writeFile(net, 'other net');
  await utimes(net, atime, mtime);
  const replaced = await installedEmbeddingSpace(root, 'onnx-m');
  assert.notEqual(replaced, first, 'a replaced net with the same size and time is another space');
  await writeFile(net, 'first net');
  assert.equal(
    await embeddingSpaceOf({ id: 'onnx-m', name: 'm', directory, manifest }),
    first,
    'the same bytes are the same space',
  );
});
