import type { Readable } from 'node:stream';

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}

export interface PutOptions {
  contentType?: string;
}

/**
 * Object storage as every stage sees it. Keys are "/"-separated paths checked by `assertValidKey`.
 * Writes replace whole objects atomically: a reader sees the old bytes or the new, never a mix.
 */
export interface ObjectStore {
  readonly kind: 'fs' | 's3';
  put(key: string, body: Buffer, options?: PutOptions): Promise<ObjectInfo>;
  /** Streams the body to storage without holding it whole in memory. */
  putStream(key: string, body: Readable, options?: PutOptions): Promise<ObjectInfo>;
  /** Throws ObjectNotFoundError when the key does not exist. */
  get(key: string): Promise<Buffer>;
  /** Throws ObjectNotFoundError when the key does not exist. */
  getStream(key: string): Promise<Readable>;
  /** Undefined when the key does not exist. */
  stat(key: string): Promise<ObjectInfo | undefined>;
  /** Every object whose key starts with `prefix`, each once; the order is not specified. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Deletes the keys that exist; missing keys are not an error. */
  deleteMany(keys: readonly string[]): Promise<void>;
  /** A time-limited URL that fetches the object without credentials; undefined where the backend has none. */
  presignedGetUrl(key: string, expirySeconds: number): Promise<string | undefined>;
  /** Throws when storage is unreachable (readiness probe). */
  ping(): Promise<void>;
}

export class ObjectNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`object "${key}" does not exist`);
    this.name = 'ObjectNotFoundError';
  }
}

/** A JSON object from storage, or undefined when the key does not exist. */
export async function readJsonObject<T>(store: ObjectStore, key: string): Promise<T | undefined> {
  try {
    return JSON.parse((await store.get(key)).toString('utf8')) as T;
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return undefined;
    throw error;
  }
}

/** Deletes every object under a prefix, in batches; returns how many were deleted. */
export async function deletePrefix(store: ObjectStore, prefix: string, batchSize = 500): Promise<number> {
  let batch: string[] = [];
  let deleted = 0;
  for await (const object of store.list(prefix)) {
    batch.push(object.key);
    if (batch.length >= batchSize) {
      await store.deleteMany(batch);
      deleted += batch.length;
      batch = [];
    }
  }
  if (batch.length > 0) {
    await store.deleteMany(batch);
    deleted += batch.length;
  }
  return deleted;
}
