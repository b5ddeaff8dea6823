// The predict stage: identify the faces of a photo against a model's gallery, or verify whether two
// photos show the same person. Detection runs on the thread pool; embedding and search here.

import type { DetectorName } from '@faceshot/core/engines/detector-name';
import type { FaceEngineId } from '@faceshot/core/engines/face-engine-id';
import type { PayloadOf, ResultOf } from '@faceshot/core/queues/definitions';
import { PermanentJobError } from '@faceshot/core/queues/permanent-job-error';
import type { StageContext } from '@faceshot/core/queues/stage-worker';
import { ObjectNotFoundError, type ObjectStore } from '@faceshot/core/storage/object-store';
import type { Embedder } from '@faceshot/vision/embedders';
import { distanceOf, fromEuclidean } from '@faceshot/vision/embedding-distance';
import type { PhotoFace, PhotoFacesResult } from '@faceshot/vision/face-extraction';
import type { ModelServing } from './model-serving.js';
import { similarityScore, UNKNOWN_IDENTITY } from './scoring.js';

export interface PredictStageDependencies {
  store: ObjectStore;
  serving: ModelServing;
  faces: PhotoFacesOnThreads;
}

/**
 * Faces of a photo (detection, alignment, descriptor) on the detection threads, with the model's
 * detector and engine (Embedder.detector, Embedder.engine).
 */
export type PhotoFacesOnThreads = (
  bytes: Buffer,
  which: 'all' | 'primary',
  detector: DetectorName,
  engine: FaceEngineId,
) => Promise<PhotoFacesResult>;

type PredictResult = ResultOf<'predict'>;

export async function readUpload(store: ObjectStore, key: string): Promise<Buffer> {
  try {
    return await store.get(key);
  } catch (error) {
    // The API deletes an upload when it stops waiting; a late job finds nothing to do.
    if (error instanceof ObjectNotFoundError) throw new PermanentJobError(`photo ${key} is gone`);
    throw error;
  }
}

export function createPredictStage(deps: PredictStageDependencies) {
  async function facesOf(
    key: string,
    which: 'all' | 'primary',
    photo: number,
    embedder: Embedder,
  ): Promise<PhotoFace[] | NonNullable<PredictResult['problem']>> {
    const found = await deps.faces(
      await readUpload(deps.store, key),
      which,
      embedder.detector,
      embedder.engine,
    );
    if (found.outcome === 'faces') return found.faces;
    return { kind: found.outcome, photo, reason: found.reason };
  }

  return async (payload: PayloadOf<'predict'>, context: StageContext): Promise<PredictResult> => {
    const embedder = await deps.serving.embedder(payload.modelId);
    const threshold = payload.threshold ?? embedder.threshold;
    const base = { modelId: payload.modelId, threshold };
    if (payload.deadline !== undefined && Date.now() > payload.deadline) {
      return {
        ...base,
        problem: { kind: 'expired', photo: 0, reason: 'nobody waits for this answer any more' },
      };
    }

    if (payload.task === 'verify') {
      const [keyA, keyB] = payload.imageKeys;
      if (keyA === undefined || keyB === undefined) throw new PermanentJobError('verify needs two photos');
      const a = await facesOf(keyA, 'primary', 0, embedder);
      if (!Array.isArray(a)) return { ...base, problem: a };
      const b = await facesOf(keyB, 'primary', 1, embedder);
      if (!Array.isArray(b)) return { ...base, problem: b };
      const faces = [a[0], b[0]].filter((face): face is PhotoFace => face !== undefined);
      const [embeddingA, embeddingB] = embedder.embed(faces);
      const distance = distanceOf(embedder.distance, embeddingA ?? [], embeddingB ?? []);
      return {
        ...base,
        verification: {
          same: distance <= threshold,
          distance,
          score: similarityScore(distance, threshold),
          boxes: faces.map((face) => face.box),
        },
      };
    }

    const key = payload.imageKeys[0] ?? '';
    const faces = await facesOf(key, payload.faces, 0, embedder);
    if (!Array.isArray(faces)) return { ...base, problem: faces };
    const embeddings = embedder.embed(faces);
    const gallery = await deps.serving.gallery(embedder);
    if (gallery.embeddingSpace !== undefined && gallery.embeddingSpace !== embedder.embeddingSpace) {
      const reason =
        `the gallery of "${payload.modelId}" holds embeddings of ${gallery.embeddingSpace}, but the model now makes ` +
        `${embedder.embeddingSpace}: delete its identities and enrol them again`;
      return { ...base, problem: { kind: 'conflict', photo: 0, reason } };
    }
    context.log.debug(
      { faces: faces.length, gallery: gallery.identities, index: gallery.kind },
      'identifying',
    );
    return {
      ...base,
      galleryIdentities: gallery.identities,
      faces: faces.map((face, index) => {
        const matches = gallery
          .nearest(embeddings[index] ?? new Float32Array(), payload.topK)
          .map((match) => {
            // The gallery searches by Euclidean distance; a cosine model's is 1 − cos of unit vectors.
            const distance = fromEuclidean(embedder.distance, match.distance);
            return { ...match, distance, score: similarityScore(distance, threshold) };
          });
        const best = matches[0];
        const known = best !== undefined && best.distance <= threshold;
        return {
          box: face.box,
          identity: known ? best.identity : UNKNOWN_IDENTITY,
          distance: best?.distance ?? null,
          score: best?.score ?? 0,
          matches,
        };
      }),
    };
  };
}
