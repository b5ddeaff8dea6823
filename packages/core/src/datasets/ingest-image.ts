// Taking one photo into a dataset, shared by uploads (API) and downloads (downloader): spool to a
// temp file while hashing, check it is a photo, store it content-addressed, record it in the manifest.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ImageRejectedError, probeImage } from '../images/probe-image.js';
import { InvalidKeyError, storageKeys } from '../storage/keys.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { DatasetRepository, ImageSource, ManifestEntry } from './dataset-repository.js';

export interface SpooledFile {
  path: string;
  sha256: string;
  bytes: number;
  /** Deletes the temp file. */
  discard(): Promise<void>;
}

export class FileTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`file is larger than ${maxBytes} bytes (IMAGE_MAX_BYTES)`);
    this.name = 'FileTooLargeError';
  }
}

export interface SpoolOptions {
  /** Aborting destroys the source and the temp file's stream; the file is removed, then the call rejects. */
  signal?: AbortSignal;
  /** Called for every chunk read (an upload's idle clock). */
  onChunk?: () => void;
}

/** Streams `source` to a temp file, hashing and counting; fails with FileTooLargeError past `maxBytes`. */
export async function spoolToTempFile(
  source: Readable,
  tempDir: string,
  maxBytes: number,
  options: SpoolOptions = {},
): Promise<SpooledFile> {
  await fs.mkdir(tempDir, { recursive: true });
  const filePath = path.join(tempDir, `faceshot-spool-${randomUUID()}`);
  const hash = createHash('sha256');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      options.onChunk?.();
      bytes += chunk.length;
      if (bytes > maxBytes) {
        callback(new FileTooLargeError(maxBytes));
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(
      source,
      meter,
      createWriteStream(filePath),
      ...(options.signal === undefined ? [] : [{ signal: options.signal }]),
    );
  } catch (error) {
    await fs.rm(filePath, { force: true });
    throw error;
  }
  return {
    path: filePath,
    sha256: hash.digest('hex'),
    bytes,
    discard: () => fs.rm(filePath, { force: true }),
  };
}

export type IngestOutcome =
  | { outcome: 'stored'; sha256: string; key: string; identity: string }
  | { outcome: 'duplicate'; sha256: string; key: string; identity: string }
  | { outcome: 'rejected'; reason: string };

export interface IngestDependencies {
  store: ObjectStore;
  datasets: DatasetRepository;
  maxPixels: number;
}

export interface IngestInput {
  datasetId: string;
  identity: string;
  file: SpooledFile;
  source: ImageSource;
}

const CONTENT_TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  tif: 'image/tiff',
  heic: 'image/heif',
  pgm: 'image/x-portable-graymap',
  ppm: 'image/x-portable-pixmap',
};

/**
 * Stores a spooled photo at datasets/<id>/raw/<identity>/<sha256>.<ext> unless the dataset already
 * holds the same bytes (then: duplicate, naming where they are). Does not delete the spooled file.
 */
export async function ingestSpooledImage(
  deps: IngestDependencies,
  input: IngestInput,
): Promise<IngestOutcome> {
  const { datasetId, identity, file } = input;
  let info: Awaited<ReturnType<typeof probeImage>>;
  let key: string;
  try {
    info = await probeImage(file.path, deps.maxPixels);
    key = storageKeys.raw(datasetId, identity, file.sha256, info.extension);
  } catch (error) {
    if (error instanceof ImageRejectedError || error instanceof InvalidKeyError) {
      return { outcome: 'rejected', reason: error.message };
    }
    throw error;
  }
  // Content-addressed: storing the same bytes again rewrites the same key, so a retried job is harmless.
  await deps.store.putStream(key, createReadStream(file.path), {
    contentType: CONTENT_TYPES[info.extension],
  });
  const entry: ManifestEntry = {
    sha256: file.sha256,
    identity,
    key,
    bytes: file.bytes,
    width: info.width,
    height: info.height,
    format: info.format,
    source: input.source,
    addedAt: new Date().toISOString(),
  };
  const existing = await deps.datasets.claimImage(datasetId, entry);
  if (existing === undefined) return { outcome: 'stored', sha256: file.sha256, key, identity };
  // These bytes were already in the dataset: keep one copy (the first), drop ours if it is another key.
  if (existing.key !== key) await deps.store.deleteMany([key]);
  return { outcome: 'duplicate', sha256: file.sha256, key: existing.key, identity: existing.identity };
}
