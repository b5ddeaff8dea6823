// A model's gallery: the enrolled identities and an embedding per reference photo, kept in Redis beside the models. Every write is one Lua script (atomic across processes) and bumps the
// gallery's version, which is how prediction workers know their in-memory copy is stale.
import type { Redis } from 'ioredis';
import { type GalleryIdentity, type GalleryPhoto, parseGalleryEntry } from '../contracts/gallery-entry.js';
import { runScript } from '../redis-scripts.js';

export type { GalleryIdentity, GalleryPhoto } from '../contracts/gallery-entry.js';

// The gallery's writes are Lua scripts in packages/core/lua/gallery-*.lua, one atomic step each.

/** An entry as stored, checked against its schema. */
const parseIdentity = (raw: string): GalleryIdentity => parseGalleryEntry(raw, 'gallery entry');

/** Photos of one embedding space offered to a gallery of another (e.g. an ONNX model's files replaced). */
export class GalleryEmbeddingMismatchError extends Error {
  override name = 'GalleryEmbeddingMismatchError';
  constructor(
    readonly modelId: string,
    readonly gallerySpace: string,
    readonly offeredSpace: string,
  ) {
    super(
      `the gallery of "${modelId}" holds embeddings of ${gallerySpace}, not of ${offeredSpace}: ` +
        'embeddings of different nets cannot be compared; delete its identities and enrol them again',
    );
  }
}

export class GalleryRepository {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private keys(modelId: string): [string, string, string] {
    return [
      `${this.prefix}:meta:gallery:${modelId}`,
      `${this.prefix}:meta:gallery-version:${modelId}`,
      `${this.prefix}:meta:gallery-embeddings:${modelId}`,
    ];
  }

  /** What made the gallery's embeddings (see Embedder.embeddingSpace); undefined for an empty or older gallery. */
  async embeddingSpace(modelId: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys(modelId)[2])) ?? undefined;
  }

  /** Changes whenever the gallery changes ("0" for a gallery never written). */
  async version(modelId: string): Promise<string> {
    return (await this.redis.get(this.keys(modelId)[1])) ?? '0';
  }

  async list(modelId: string): Promise<GalleryIdentity[]> {
    return (await this.redis.hvals(this.keys(modelId)[0]))
      .map(parseIdentity)
      .sort((a, b) => a.identity.localeCompare(b.identity));
  }

  /** The whole gallery and the version it was read at, in one transaction. */
  async snapshot(
    modelId: string,
  ): Promise<{ version: string; identities: GalleryIdentity[]; embeddingSpace: string | undefined }> {
    const [hash, version, space] = this.keys(modelId);
    const replies = await this.redis.multi().get(version).hvals(hash).get(space).exec();
    const [versionReply, valuesReply, spaceReply] = replies ?? [];
    if (versionReply?.[0] || valuesReply?.[0] || spaceReply?.[0])
      throw versionReply?.[0] ?? valuesReply?.[0] ?? spaceReply?.[0];
    return {
      version: (versionReply?.[1] as string | null) ?? '0',
      identities: ((valuesReply?.[1] as string[] | undefined) ?? []).map(parseIdentity),
      embeddingSpace: (spaceReply?.[1] as string | null) ?? undefined,
    };
  }

  async get(modelId: string, identity: string): Promise<GalleryIdentity | undefined> {
    const raw = await this.redis.hget(this.keys(modelId)[0], identity);
    return raw === null ? undefined : parseIdentity(raw);
  }

  async count(modelId: string): Promise<number> {
    return this.redis.hlen(this.keys(modelId)[0]);
  }

  /**
   * Adds photos (embeddings of `embeddingSpace`) to an identity, creating it if needed; returns it and
   * how many photos were new. GalleryEmbeddingMismatchError when the gallery holds another space's.
   */
  async addPhotos(
    modelId: string,
    identity: string,
    photos: GalleryPhoto[],
    embeddingSpace: string,
  ): Promise<{ identity: GalleryIdentity; added: number }> {
    const [encoded, added] = (await runScript(this.redis, 'gallery-add-photos', this.keys(modelId), [
      identity,
      JSON.stringify(photos),
      new Date().toISOString(),
      embeddingSpace,
    ])) as [string, number | string];
    if (encoded === 'mismatch')
      throw new GalleryEmbeddingMismatchError(modelId, String(added), embeddingSpace);
    return { identity: parseIdentity(encoded), added: Number(added) };
  }

  async rename(modelId: string, from: string, to: string): Promise<'renamed' | 'missing' | 'taken'> {
    return (await runScript(this.redis, 'gallery-rename', this.keys(modelId), [
      from,
      to,
      new Date().toISOString(),
    ])) as 'renamed' | 'missing' | 'taken';
  }

  /** Removes an identity; returns what it held (its photo keys are the caller's to delete). */
  async remove(modelId: string, identity: string): Promise<GalleryIdentity | undefined> {
    const raw = (await runScript(this.redis, 'gallery-remove', this.keys(modelId), [identity])) as
      | string
      | null;
    return raw === null ? undefined : parseIdentity(raw);
  }

  /** Forgets a whole gallery (its model was deleted). */
  async drop(modelId: string): Promise<void> {
    const [hash, version, space] = this.keys(modelId);
    await this.redis.multi().del(hash).del(space).incr(version).exec();
  }
}
