// S3 / MinIO through the `minio` client. Streams of unknown length are uploaded in parts we cut
// ourselves (bounded memory: one part at a time) with the client's multipart calls, not through
// putObject's own stream path. Measured with minio-js 8.0.7 against Ceph RGW: when the source stream
// fails midway, putObject's stream path never settles and the source's error escapes as an uncaught
// exception (it would crash a worker), and the incomplete upload is left behind to be "resumed" by the
// next writer of that key. Here a failed upload rejects and is aborted, and a stream that fits in one
// part is a single PUT (putObject's path costs four requests for a 15 KB photo).
import { Buffer } from 'node:buffer';
import type { Readable } from 'node:stream';
import { Client } from 'minio';
import type { S3StorageConfig } from '../config.js';
import { assertValidKey, assertValidPrefix } from './keys.js';
import { type ObjectInfo, ObjectNotFoundError, type ObjectStore, type PutOptions } from './object-store.js';

/** S3's smallest part (except the last) is 5 MiB; 8 MiB keeps the request count low for large files. */
export const MULTIPART_PART_BYTES = 8 * 1024 * 1024;
const DELETE_BATCH = 1000; // DeleteObjects takes at most 1000 keys

function isNotFound(error: unknown): boolean {
  if (!(error instanceof Error) || !('code' in error)) return false;
  return ['NoSuchKey', 'NotFound', 'NoSuchObject'].includes(String(error.code));
}

function headers(options: PutOptions | undefined): Record<string, string> {
  return { 'Content-Type': options?.contentType ?? 'application/octet-stream' };
}

/** Reads a stream into chunks of exactly `size` bytes (the last may be shorter). */
async function* chunksOf(body: Readable, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const piece of body) {
    let data = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as string);
    while (pendingBytes + data.length >= size) {
      const take = size - pendingBytes;
      pending.push(data.subarray(0, take));
      yield Buffer.concat(pending, size);
      data = data.subarray(take);
      pending = [];
      pendingBytes = 0;
    }
    if (data.length > 0) {
      pending.push(data);
      pendingBytes += data.length;
    }
  }
  if (pendingBytes > 0 || pending.length > 0) yield Buffer.concat(pending, pendingBytes);
}

export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3';
  readonly bucket: string;
  private readonly client: Client;

  constructor(
    config: S3StorageConfig,
    private readonly partBytes: number = MULTIPART_PART_BYTES,
  ) {
    this.bucket = config.bucket;
    this.client = new Client({
      endPoint: config.endPoint,
      port: config.port,
      useSSL: config.useSSL,
      accessKey: config.accessKey,
      secretKey: config.secretKey,
      region: config.region,
      pathStyle: true,
    });
  }

  /** Creates the bucket if it is missing (compose has a one-shot service for this; tests call it). */
  async ensureBucket(): Promise<void> {
    if (!(await this.client.bucketExists(this.bucket))) await this.client.makeBucket(this.bucket);
  }

  async put(key: string, body: Buffer, options?: PutOptions): Promise<ObjectInfo> {
    assertValidKey(key);
    await this.client.putObject(this.bucket, key, body, body.length, headers(options));
    return this.statOrThrow(key);
  }

  async putStream(key: string, body: Readable, options?: PutOptions): Promise<ObjectInfo> {
    assertValidKey(key);
    const parts = chunksOf(body, this.partBytes);
    const first = await parts.next();
    const firstChunk = first.done ? Buffer.alloc(0) : first.value;
    const second = first.done ? undefined : await parts.next();
    if (second === undefined || second.done) {
      // Fits in one part: a single PUT.
      await this.client.putObject(this.bucket, key, firstChunk, firstChunk.length, headers(options));
      return this.statOrThrow(key);
    }
    const uploadId = await this.client.initiateNewMultipartUpload(this.bucket, key, headers(options));
    try {
      const etags: { part: number; etag: string }[] = [];
      const upload = async (chunk: Buffer) => {
        const part = etags.length + 1;
        const result = await this.client.uploadPart(
          { bucketName: this.bucket, objectName: key, uploadID: uploadId, partNumber: part, headers: {} },
          chunk,
        );
        etags.push({ part, etag: result.etag });
      };
      await upload(firstChunk);
      await upload(second.value);
      for await (const chunk of parts) await upload(chunk);
      await this.client.completeMultipartUpload(this.bucket, key, uploadId, etags);
    } catch (error) {
      await this.client.abortMultipartUpload(this.bucket, key, uploadId).catch(() => undefined);
      throw error;
    }
    return this.statOrThrow(key);
  }

  async get(key: string): Promise<Buffer> {
    const stream = await this.getStream(key);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async getStream(key: string): Promise<Readable> {
    assertValidKey(key);
    try {
      return await this.client.getObject(this.bucket, key);
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(key);
      throw error;
    }
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    assertValidKey(key);
    try {
      const stat = await this.client.statObject(this.bucket, key);
      return { key, size: stat.size, lastModified: stat.lastModified };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  private async statOrThrow(key: string): Promise<ObjectInfo> {
    const info = await this.stat(key);
    if (info === undefined) throw new Error(`object "${key}" was written but cannot be read back`);
    return info;
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertValidPrefix(prefix);
    let continuationToken = '';
    for (;;) {
      const page = await this.client.listObjectsV2Query(this.bucket, prefix, continuationToken, '', 1000, '');
      for (const item of page.objects) {
        if (item.name !== undefined)
          yield { key: item.name, size: item.size, lastModified: item.lastModified };
      }
      if (!page.isTruncated || !page.nextContinuationToken) return;
      continuationToken = page.nextContinuationToken;
    }
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    for (const key of keys) assertValidKey(key);
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
      const batch = keys.slice(start, start + DELETE_BATCH);
      const results = await this.client.removeObjects(this.bucket, batch);
      // Quiet mode: the server lists only the keys it failed to delete.
      const failures = results.filter((result) => result !== null && result !== undefined);
      if (failures.length > 0) {
        throw new Error(
          `could not delete ${failures.length} of ${batch.length} objects: ${JSON.stringify(failures[0])}`,
        );
      }
    }
  }

  async presignedGetUrl(key: string, expirySeconds: number): Promise<string | undefined> {
    assertValidKey(key);
    return this.client.presignedGetObject(this.bucket, key, expirySeconds);
  }

  async ping(): Promise<void> {
    if (!(await this.client.bucketExists(this.bucket)))
      throw new Error(`bucket "${this.bucket}" does not exist`);
  }
}
