// ONNX models kept in the object store (`onnx-models/<name>/manifest.json` and its .onnx files), so a
// model installed once reaches every API, extractor and predictor process, on any host, without a
// shared folder. Each process mirrors them into its local models folder, because onnxruntime opens
// files; the rest of the engine only ever sees folders. A folder the mirror wrote carries a stamp
// file; folders without one are the operator's and are never touched.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { storageKeys } from '../../storage/keys.js';
import type { ObjectInfo, ObjectStore } from '../../storage/object-store.js';
import {
  MANIFEST_FILE,
  ONNX_MODEL_NAME_PATTERN,
  OnnxModelError,
  type OnnxModelFolder,
  onnxNets,
  parseOnnxManifest,
} from './onnx-manifest.js';

/** Written last into a mirrored folder: which store objects it was copied from. */
export const STORE_STAMP_FILE = '.faceshot-store-stamp';

/**
 * Copies a checked model folder into the store under its name: the nets first, the manifest last, so
 * a mirror never sees a manifest whose files are not all there yet.
 */
export async function pushOnnxModel(store: ObjectStore, folder: OnnxModelFolder): Promise<string[]> {
  const files = [...new Set(onnxNets(folder.manifest).map((net) => net.file))];
  const keys: string[] = [];
  for (const file of files) {
    const key = storageKeys.onnxModelFile(folder.name, file);
    await store.put(key, await readFile(path.join(folder.directory, file)), {
      contentType: 'application/octet-stream',
    });
    keys.push(key);
  }
  const manifestKey = storageKeys.onnxModelFile(folder.name, MANIFEST_FILE);
  await store.put(manifestKey, Buffer.from(`${JSON.stringify(folder.manifest, null, 2)}\n`), {
    contentType: 'application/json',
  });
  return [...keys, manifestKey];
}

export interface MirrorReport {
  /** Models copied (new, or changed in the store). */
  copied: string[];
  /** Mirrored folders removed because their model left the store. */
  removed: string[];
  /** Store models not mirrored, each with why. */
  problems: string[];
}

/** The store's objects per model name. */
async function storeModels(store: ObjectStore): Promise<Map<string, ObjectInfo[]>> {
  const prefix = storageKeys.onnxModelsPrefix();
  const models = new Map<string, ObjectInfo[]>();
  for await (const object of store.list(prefix)) {
    const [name, file, ...rest] = object.key.slice(prefix.length).split('/');
    if (name === undefined || file === undefined || rest.length > 0) continue;
    models.set(name, [...(models.get(name) ?? []), object]);
  }
  return models;
}

/** What identifies one version of a model in the store: its objects, sizes and write times. */
function stampOf(objects: readonly ObjectInfo[]): string {
  return JSON.stringify(
    [...objects]
      .sort((a, b) => a.key.localeCompare(b.key))
      .map((object) => [object.key, object.size, object.lastModified.toISOString()]),
  );
}

async function readStamp(folder: string): Promise<string | undefined> {
  return readFile(path.join(folder, STORE_STAMP_FILE), 'utf8').catch(() => undefined);
}

async function exists(folder: string): Promise<boolean> {
  return readdir(folder).then(
    () => true,
    () => false,
  );
}

/** Copies one model into a fresh folder beside its place, then swaps it in. */
async function copyModel(store: ObjectStore, directory: string, name: string, objects: ObjectInfo[]) {
  const manifestKey = storageKeys.onnxModelFile(name, MANIFEST_FILE);
  if (!objects.some((object) => object.key === manifestKey))
    throw new OnnxModelError(`ONNX model "${name}" in the store has no ${MANIFEST_FILE} (yet)`);
  const manifest = parseOnnxManifest(
    JSON.parse((await store.get(manifestKey)).toString('utf8')),
    `store object ${manifestKey}`,
  );
  const files = [
    ...new Set([
      manifest.detector.file,
      ...(manifest.landmarks ? [manifest.landmarks.file] : []),
      manifest.recognition.file,
    ]),
  ];
  for (const file of files)
    if (!objects.some((object) => object.key === storageKeys.onnxModelFile(name, file)))
      throw new OnnxModelError(`ONNX model "${name}" in the store lacks ${file}`);
  const incoming = path.join(directory, `.incoming-${name}-${randomUUID().slice(0, 8)}`);
  await mkdir(incoming, { recursive: true });
  try {
    for (const file of files)
      await pipeline(
        await store.getStream(storageKeys.onnxModelFile(name, file)),
        createWriteStream(path.join(incoming, file)),
      );
    await writeFile(path.join(incoming, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    await writeFile(path.join(incoming, STORE_STAMP_FILE), stampOf(objects));
    const target = path.join(directory, name);
    await rm(target, { recursive: true, force: true });
    await rename(incoming, target);
  } finally {
    await rm(incoming, { recursive: true, force: true });
  }
}

/**
 * Makes `directory` hold every valid model of the store (copying new and changed ones) and drops
 * mirrored folders whose model was removed from the store. Never fails on one bad model: it is
 * reported and the rest are mirrored.
 */
export async function mirrorOnnxModels(store: ObjectStore, directory: string): Promise<MirrorReport> {
  await mkdir(directory, { recursive: true });
  const report: MirrorReport = { copied: [], removed: [], problems: [] };
  const models = await storeModels(store);
  for (const [name, objects] of [...models].sort(([a], [b]) => a.localeCompare(b))) {
    const folder = path.join(directory, name);
    if (!ONNX_MODEL_NAME_PATTERN.test(name)) {
      report.problems.push(`ONNX model "${name}" in the store: names are 1-58 letters, digits, "_" or "-"`);
      continue;
    }
    const stamp = await readStamp(folder);
    if (stamp === undefined && (await exists(folder))) {
      report.problems.push(
        `ONNX model "${name}" in the store: ${folder} is a local folder of that name; it wins`,
      );
      continue;
    }
    if (stamp === stampOf(objects)) continue;
    try {
      await copyModel(store, directory, name, objects);
      report.copied.push(name);
    } catch (error) {
      // One bad or half-written model (or a storage hiccup) must not keep the others out.
      report.problems.push(error instanceof Error ? error.message : String(error));
    }
  }
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    if (!entry.isDirectory() || models.has(entry.name)) continue;
    const folder = path.join(directory, entry.name);
    if (entry.name.startsWith('.incoming-')) continue;
    if ((await readStamp(folder)) === undefined) continue;
    await rm(folder, { recursive: true, force: true });
    report.removed.push(entry.name);
  }
  return report;
}
