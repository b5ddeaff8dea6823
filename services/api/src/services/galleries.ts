// Gallery renames and removals, done by the API through the gallery repository. Each is one atomic
// Redis script that bumps the gallery's version, which is how every predictor learns its in-memory
// copy is stale: they need no embedding work, so no round trip through the enrol queue (where they
// could wait behind a long enrol-dataset job). Enrolment (which embeds photos) stays a predictor job.
import type { GalleryIdentity, GalleryRepository } from '@faceshot/core/gallery/gallery-repository';
import type { ObjectStore } from '@faceshot/core/storage/object-store';
import { HttpProblem } from '../problem.js';

export interface GalleryServiceDependencies {
  galleries: GalleryRepository;
  store: ObjectStore;
}

/** 404 when the identity is not enrolled, 409 when the new name is taken; returns the renamed identity. */
export async function renameIdentity(
  deps: GalleryServiceDependencies,
  modelId: string,
  identity: string,
  newIdentity: string,
): Promise<GalleryIdentity> {
  const outcome = await deps.galleries.rename(modelId, identity, newIdentity);
  if (outcome === 'missing') throw new HttpProblem(404, `model "${modelId}" has no identity "${identity}"`);
  if (outcome === 'taken') throw new HttpProblem(409, `model "${modelId}" already has "${newIdentity}"`);
  const renamed = await deps.galleries.get(modelId, newIdentity);
  // Renamed or removed again by another request between the two reads.
  if (renamed === undefined)
    throw new HttpProblem(404, `model "${modelId}" has no identity "${newIdentity}"`);
  return renamed;
}

/**
 * Removes an enrolled person and then their reference photos (404 when not enrolled). The photos go
 * after the entry, so a prediction never reads an entry whose photos are gone.
 */
export async function removeIdentity(
  deps: GalleryServiceDependencies,
  modelId: string,
  identity: string,
): Promise<{ identity: string; deletedPhotos: number }> {
  const removed = await deps.galleries.remove(modelId, identity);
  if (removed === undefined) throw new HttpProblem(404, `model "${modelId}" has no identity "${identity}"`);
  await deps.store.deleteMany(removed.photos.map((photo) => photo.photoKey));
  return { identity, deletedPhotos: removed.photos.length };
}
