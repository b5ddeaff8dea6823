// The store's ONNX models mirrored into a local folder: copied once per version, swapped when they
// change, removed when they leave the store; the operator's own folders are never touched; a bad
// model is reported and the others still arrive.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import { readOnnxModelFolder } from '@faceshot/core/engines/onnx/onnx-manifest';
import {
  mirrorOnnxModels,
  pushOnnxModel,
  STORE_STAMP_FILE,
} from '@faceshot/core/engines/onnx/onnx-model-store';
import { FsObjectStore } from '@faceshot/core/storage/fs-object-store';
import { writeTinyOnnxModel } from './tiny-onnx-model.js';

const root = await mkdtemp(path.join(tmpdir(), 'faceshot-onnx-store-'));
after(() => rm(root, { recursive: true, force: true }));
const store = new FsObjectStore(path.join(root, 'store'));
const mirror = path.join(root, 'mirror');

it('copies a pushed model once, and again only when the store changes', async () => {
  const source = await readOnnxModelFolder(
    await writeTinyOnnxModel(path.join(root, 'src'), 'tiny', 'cosine'),
  );
  const keys = await pushOnnxModel(store, source);
  assert.equal(keys.at(-1), 'onnx-models/tiny/manifest.json', 'the manifest goes last');
  assert.deepEqual(await mirrorOnnxModels(store, mirror), { copied: ['tiny'], removed: [], problems: [] });
  const copy = await readOnnxModelFolder(path.join(mirror, 'tiny'));
  assert.deepEqual(copy.manifest, source.manifest);
  assert.deepEqual(
    await readFile(path.join(mirror, 'tiny', 'feature.onnx')),
    await readFile(path.join(source.directory, 'feature.onnx')),
  );
  assert.deepEqual(await mirrorOnnxModels(store, mirror), { copied: [], removed: [], problems: [] });

  const manifest = { ...source.manifest, threshold: 0.25 };
  await new Promise((resolve) => setTimeout(resolve, 10));
  await store.put('onnx-models/tiny/manifest.json', Buffer.from(JSON.stringify(manifest)));
  assert.deepEqual((await mirrorOnnxModels(store, mirror)).copied, ['tiny']);
  assert.equal((await readOnnxModelFolder(path.join(mirror, 'tiny'))).manifest.threshold, 0.25);
});

it('reports a half-pushed or invalid model and mirrors the rest', async () => {
  await store.put('onnx-models/half/feature.onnx', Buffer.from('not yet'));
  await store.put('onnx-models/bad/manifest.json', Buffer.from('{"distance": "manhattan"}'));
  const source = await readOnnxModelFolder(await writeTinyOnnxModel(path.join(root, 'src'), 'other'));
  const nets = (await pushOnnxModel(store, source)).filter((key) => key.endsWith('.onnx'));
  await store.deleteMany([nets[0] ?? '']);
  const report = await mirrorOnnxModels(store, mirror);
  assert.deepEqual(report.copied, []);
  assert.equal(report.problems.length, 3, report.problems.join('\n'));
  assert.match(report.problems.join('\n'), /"bad"|bad\/manifest/);
  assert.match(report.problems.join('\n'), /"half" in the store has no manifest\.json/);
  assert.match(report.problems.join('\n'), /"other" in the store lacks detect\.onnx/);
  assert.deepEqual((await readdir(mirror)).sort(), ['tiny'], 'nothing half-copied is left behind');
});

it("leaves the operator's own folders alone and removes mirrored models that left the store", async () => {
  await mkdir(path.join(mirror, 'mine'));
  await writeFile(path.join(mirror, 'mine', 'manifest.json'), '{}');
  await store.put('onnx-models/mine/manifest.json', Buffer.from('{}'));
  const report = await mirrorOnnxModels(store, mirror);
  assert.match(report.problems.join('\n'), /is a local folder of that name; it wins/);
  assert.equal(await readFile(path.join(mirror, 'mine', 'manifest.json'), 'utf8'), '{}');

  await store.deleteMany([
    'onnx-models/tiny/manifest.json',
    'onnx-models/tiny/detect.onnx',
    'onnx-models/tiny/landmarks.onnx',
    'onnx-models/tiny/feature.onnx',
    'onnx-models/mine/manifest.json',
  ]);
  const after = await mirrorOnnxModels(store, mirror);
  assert.deepEqual(after.removed, ['tiny']);
  assert.deepEqual((await readdir(mirror)).sort(), ['mine']);
  await assert.rejects(readFile(path.join(mirror, 'mine', STORE_STAMP_FILE)));
});
