// The embedded default store: one file per object under a root directory. Writes go to a temp file
// in the destination directory and are renamed into place, so readers never see a partial object.
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertValidKey, assertValidPrefix } from './keys.js';
import { type ObjectInfo, ObjectNotFoundError, type ObjectStore } from './object-store.js';

const TEMP_PREFIX = '.tmp-';

function isErrno(error: unknown, ...codes: string[]): boolean {
  return error instanceof Error && 'code' in error && codes.includes(String(error.code));
}

export class FsObjectStore implements ObjectStore {
  readonly kind = 'fs';
  private readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  private pathOf(key: string): string {
    assertValidKey(key);
    const filePath = path.join(this.root, ...key.split('/'));
    // assertValidKey already rules out "..", this is the second lock on the door.
    if (!filePath.startsWith(this.root + path.sep))
      throw new Error(`key "${key}" resolves outside the store`);
    return filePath;
  }

  private async writeAtomically(
    key: string,
    write: (tempPath: string) => Promise<void>,
  ): Promise<ObjectInfo> {
    const finalPath = this.pathOf(key);
    const directory = path.dirname(finalPath);
    const tempPath = path.join(directory, `${TEMP_PREFIX}${randomUUID()}`);
    // A concurrent deleteMany may remove the (empty) directory between mkdir and rename: retry once.
    for (let attempt = 1; ; attempt++) {
      await fs.mkdir(directory, { recursive: true });
      try {
        await write(tempPath);
        await fs.rename(tempPath, finalPath);
        break;
      } catch (error) {
        await fs.rm(tempPath, { force: true });
        if (attempt < 3 && isErrno(error, 'ENOENT')) continue;
        throw error;
      }
    }
    const stats = await fs.stat(finalPath);
    return { key, size: stats.size, lastModified: stats.mtime };
  }

  put(key: string, body: Buffer): Promise<ObjectInfo> {
    return this.writeAtomically(key, (tempPath) => fs.writeFile(tempPath, body, { flag: 'wx' }));
  }

  async putStream(key: string, body: Readable): Promise<ObjectInfo> {
    // A stream can be consumed once, so a retry after ENOENT would write nothing: create the
    // directory first and let the single attempt fail loudly if it vanishes meanwhile.
    let consumed = false;
    return this.writeAtomically(key, async (tempPath) => {
      if (consumed) throw new Error(`directory for "${key}" was removed while the stream was written`);
      consumed = true;
      await pipeline(body, createWriteStream(tempPath, { flags: 'wx' }));
    });
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.pathOf(key));
    } catch (error) {
      if (isErrno(error, 'ENOENT', 'ENOTDIR', 'EISDIR')) throw new ObjectNotFoundError(key);
      throw error;
    }
  }

  async getStream(key: string): Promise<Readable> {
    const filePath = this.pathOf(key);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(filePath, 'r');
      if (!(await handle.stat()).isFile()) {
        await handle.close();
        throw new ObjectNotFoundError(key);
      }
    } catch (error) {
      if (isErrno(error, 'ENOENT', 'ENOTDIR')) throw new ObjectNotFoundError(key);
      throw error;
    }
    return createReadStream(filePath, { fd: handle.fd, autoClose: true }).once('close', () => {
      void handle.close().catch(() => undefined);
    });
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    try {
      const stats = await fs.stat(this.pathOf(key));
      return stats.isFile() ? { key, size: stats.size, lastModified: stats.mtime } : undefined;
    } catch (error) {
      if (isErrno(error, 'ENOENT', 'ENOTDIR')) return undefined;
      throw error;
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertValidPrefix(prefix);
    const slash = prefix.lastIndexOf('/');
    const baseKey = slash === -1 ? '' : prefix.slice(0, slash + 1);
    yield* this.walk(baseKey, prefix);
  }

  /** Depth-first walk from the deepest directory the prefix names completely. */
  private async *walk(directoryKey: string, prefix: string): AsyncGenerator<ObjectInfo> {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(path.join(this.root, ...directoryKey.split('/').filter(Boolean)), {
        withFileTypes: true,
      });
    } catch (error) {
      if (isErrno(error, 'ENOENT', 'ENOTDIR')) return;
      throw error;
    }
    // Dot-names are temp files of writes in progress (keys never start a part with ".").
    for (const entry of entries.filter((candidate) => !candidate.name.startsWith('.'))) {
      const key = `${directoryKey}${entry.name}`;
      if (entry.isDirectory()) {
        const childKey = `${key}/`;
        // Only descend where keys can still start with the prefix.
        if (childKey.startsWith(prefix) || prefix.startsWith(childKey)) yield* this.walk(childKey, prefix);
      } else if (key.startsWith(prefix)) {
        const info = await this.stat(key);
        if (info !== undefined) yield info;
      }
    }
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    const paths = keys.map((key) => this.pathOf(key));
    for (const filePath of paths) {
      await fs.rm(filePath, { force: true });
      await this.removeEmptyParents(path.dirname(filePath));
    }
  }

  private async removeEmptyParents(directory: string): Promise<void> {
    let current = directory;
    while (current.startsWith(this.root + path.sep)) {
      try {
        await fs.rmdir(current);
      } catch {
        return; // not empty, already gone or busy: leave it
      }
      current = path.dirname(current);
    }
  }

  async presignedGetUrl(): Promise<string | undefined> {
    return undefined;
  }

  async ping(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true });
    await fs.access(this.root, fs.constants.R_OK | fs.constants.W_OK);
  }
}
