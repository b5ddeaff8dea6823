// One identity of a model's gallery, as a hash field of `meta:gallery:<model>` in Redis (written by
// the Lua scripts in packages/core/lua/gallery-*.lua). One schema; the repository checks every entry
// it reads, so a hand-edited or truncated entry is an error naming its field, not a wrong embedding.
import { type Static, Type } from '@sinclair/typebox';
import { parseWithSchema } from '../schema.js';

export const GalleryPhotoSchema = Type.Object({
  /** sha256 of the photo the face came from. */
  sha256: Type.String(),
  /** The aligned face crop, galleries/<modelId>/<photoId>.png. */
  photoKey: Type.String(),
  embedding: Type.Array(Type.Number()),
  /** Where the photo came from: an upload, or a dataset face ("<datasetId>/<faceId>"). */
  source: Type.String(),
  addedAt: Type.String(),
});
export type GalleryPhoto = Static<typeof GalleryPhotoSchema>;

export const GalleryIdentitySchema = Type.Object({
  identity: Type.String(),
  enrolledAt: Type.String(),
  updatedAt: Type.String(),
  photos: Type.Array(GalleryPhotoSchema),
});
export type GalleryIdentity = Static<typeof GalleryIdentitySchema>;

/**
 * A stored entry, checked. Lua's cjson encodes an empty array as {}: that is read as no photos. An
 * older entry's `mean` (nothing read it) is dropped.
 */
export function parseGalleryEntry(raw: string, what: string): GalleryIdentity {
  const value = JSON.parse(raw) as Record<string, unknown>;
  const { mean: _mean, ...entry } = value;
  const photos = entry.photos;
  const normalised = {
    ...entry,
    photos:
      typeof photos === 'object' &&
      photos !== null &&
      !Array.isArray(photos) &&
      Object.keys(photos).length === 0
        ? []
        : photos,
  };
  return parseWithSchema(GalleryIdentitySchema, normalised, what);
}
