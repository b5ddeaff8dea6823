// The ONNX models an operator installed under ONNX_MODELS_DIR: every sub-folder is one model,
// `onnx-<folder>`. A folder with a bad manifest or missing files is not a model; it is reported (the
// API logs it) rather than listed, so /v1/models lists only models whose files are present.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { OnnxModelError, type OnnxModelFolder, onnxModelName, readOnnxModelFolder } from './onnx-manifest.js';

export interface OnnxCatalogue {
  models: OnnxModelFolder[];
  /** Folders that are not usable models, each with why. */
  problems: string[];
}

export async function listOnnxModels(directory: string | undefined): Promise<OnnxCatalogue> {
  if (directory === undefined) return { models: [], problems: [] };
  const entries = await readdir(directory, { withFileTypes: true }).catch((error: Error) => {
    throw new OnnxModelError(`ONNX_MODELS_DIR ${directory}: ${error.message}`);
  });
  const models: OnnxModelFolder[] = [];
  const problems: string[] = [];
  for (const entry of entries
    .filter((item) => item.isDirectory())
    .sort((a, b) => a.name.localeCompare(b.name))) {
    try {
      models.push(await readOnnxModelFolder(path.join(directory, entry.name)));
    } catch (error) {
      if (!(error instanceof OnnxModelError)) throw error;
      problems.push(error.message);
    }
  }
  return { models, problems };
}

/**
 * The installed model of an `onnx-<name>` id; undefined for another id or when no such folder exists;
 * OnnxModelError when the folder exists but is not a usable model (the message says why).
 */
export async function findOnnxModel(
  directory: string | undefined,
  modelId: string,
): Promise<OnnxModelFolder | undefined> {
  const name = onnxModelName(modelId);
  if (name === undefined || directory === undefined) return undefined;
  const folder = path.join(directory, name);
  const exists = await readdir(folder).then(
    () => true,
    () => false,
  );
  return exists ? readOnnxModelFolder(folder) : undefined;
}

/**
 * What the model's embeddings are: its id and a digest of its recognition net. A gallery remembers
 * it, so replacing a model's files under the same name cannot mix two nets' embeddings.
 */
export async function embeddingSpaceOf(folder: OnnxModelFolder): Promise<string> {
  const file = path.join(folder.directory, folder.manifest.recognition.file);
  // A net is hundreds of MB at most and hashed once per version of its file, so every load, curation
  // and check after the first costs one stat.
  const info = await stat(file);
  // ctime and inode change on any write or replacement, even one that keeps the modification time.
  const version = `${file}\0${info.ino}\0${info.size}\0${info.mtimeMs}\0${info.ctimeMs}`;
  let digest = digests.get(version);
  if (digest === undefined) {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    digest = hash.digest('hex').slice(0, 16);
    digests.set(version, digest);
  }
  return `${folder.id}@${digest}`;
}

/** Recognition-net digests by file version (see embeddingSpaceOf). */
const digests = new Map<string, string>();

/** The embedding space of an installed model's current net; undefined when it is not installed. */
export async function installedEmbeddingSpace(
  directory: string | undefined,
  modelId: string,
): Promise<string | undefined> {
  const folder = await findOnnxModel(directory, modelId);
  return folder === undefined ? undefined : embeddingSpaceOf(folder);
}
