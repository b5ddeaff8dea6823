// A model's gallery: the enrolled identities and an embedding per reference photo, kept in Redis beside the models. Every write is one Lua script (atomic across processes) and bumps the
// gallery's version, which is how prediction workers know their in-memory copy is stale.
import type { Redis } from 'ioredis';

export interface GalleryPhoto {
  /** sha256 of the photo the face came from. */
  sha256: string;
  /** The aligned face crop, galleries/<modelId>/<photoId>.png. */
  photoKey: string;
  embedding: number[];
  /** Where the photo came from: an upload, or a dataset face ("<datasetId>/<faceId>"). */
  source: string;
  addedAt: string;
}

export interface GalleryIdentity {
  identity: string;
  enrolledAt: string;
  updatedAt: string;
  photos: GalleryPhoto[];
}

// KEYS[1] gallery hash, KEYS[2] version, KEYS[3] embedding space; ARGV[1] identity, ARGV[2] photos
// JSON, ARGV[3] now, ARGV[4] the embedding space of the photos. Photos whose sha256 the identity
// already holds are skipped (re-enrolling is harmless). A gallery holding embeddings of another space
// takes none: returns ['mismatch', its space]. Else returns [identity JSON, number of photos added].
// (Entries written by older versions carry a `mean` of the embeddings that nothing read; a write drops it.)
const ADD_PHOTOS = `
local space = redis.call('GET', KEYS[3])
if space and space ~= ARGV[4] and redis.call('HLEN', KEYS[1]) > 0 then return { 'mismatch', space } end
redis.call('SET', KEYS[3], ARGV[4])
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local entry
if raw then entry = cjson.decode(raw) else entry = { identity = ARGV[1], enrolledAt = ARGV[3], photos = {} } end
local seen = {}
for _, photo in ipairs(entry.photos) do seen[photo.sha256] = true end
local added = 0
for _, photo in ipairs(cjson.decode(ARGV[2])) do
  if not seen[photo.sha256] then
    table.insert(entry.photos, photo)
    seen[photo.sha256] = true
    added = added + 1
  end
end
entry.mean = nil
entry.updatedAt = ARGV[3]
local encoded = cjson.encode(entry)
redis.call('HSET', KEYS[1], ARGV[1], encoded)
if added > 0 then redis.call('INCR', KEYS[2]) end
return { encoded, added }
`;

// ARGV[1] from, ARGV[2] to, ARGV[3] now. Returns 'renamed', 'missing' or 'taken'.
const RENAME = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 'missing' end
if redis.call('HEXISTS', KEYS[1], ARGV[2]) == 1 then return 'taken' end
local entry = cjson.decode(raw)
entry.identity = ARGV[2]
entry.updatedAt = ARGV[3]
redis.call('HSET', KEYS[1], ARGV[2], cjson.encode(entry))
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('INCR', KEYS[2])
return 'renamed'
`;

// ARGV[1] identity. Returns the removed identity's JSON, or false. An emptied gallery forgets its
// embedding space (it may be filled again by another model of the same id).
const REMOVE = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('DEL', KEYS[3]) end
redis.call('INCR', KEYS[2])
return raw
`;

/** Lua's cjson encodes an empty array as {}; give callers arrays back (and no older `mean`). */
function parseIdentity(raw: string): GalleryIdentity {
  const { mean: _mean, ...entry } = JSON.parse(raw) as GalleryIdentity & {
    photos: GalleryPhoto[] | object;
    mean?: unknown;
  };
  return { ...entry, photos: Array.isArray(entry.photos) ? entry.photos : [] };
}

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
    const [encoded, added] = (await this.redis.eval(
      ADD_PHOTOS,
      3,
      ...this.keys(modelId),
      identity,
      JSON.stringify(photos),
      new Date().toISOString(),
      embeddingSpace,
    )) as [string, number | string];
    if (encoded === 'mismatch')
      throw new GalleryEmbeddingMismatchError(modelId, String(added), embeddingSpace);
    return { identity: parseIdentity(encoded), added: Number(added) };
  }

  async rename(modelId: string, from: string, to: string): Promise<'renamed' | 'missing' | 'taken'> {
    return (await this.redis.eval(RENAME, 3, ...this.keys(modelId), from, to, new Date().toISOString())) as
      | 'renamed'
      | 'missing'
      | 'taken';
  }

  /** Removes an identity; returns what it held (its photo keys are the caller's to delete). */
  async remove(modelId: string, identity: string): Promise<GalleryIdentity | undefined> {
    const raw = (await this.redis.eval(REMOVE, 3, ...this.keys(modelId), identity)) as string | null;
    return raw === null ? undefined : parseIdentity(raw);
  }

  /** Forgets a whole gallery (its model was deleted). */
  async drop(modelId: string): Promise<void> {
    const [hash, version, space] = this.keys(modelId);
    await this.redis.multi().del(hash).del(space).incr(version).exec();
  }
}
