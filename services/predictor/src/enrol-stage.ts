// The enrol stage: what fills a gallery. Enrol a person from photos (one is enough: no retraining),
// or a trained model's dataset (its most typical curated faces). Renames and deletes are the API's,
// straight through the gallery repository (each one atomic script; see services/api/src/services/galleries.ts).
import { createHash } from 'node:crypto';
import { CurationSchema, FaceRecordSchema } from '@faceshot/core/contracts/face-record';
import { BASELINE_MODEL_ID } from '@faceshot/core/datasets/model-repository';
import { engineOf } from '@faceshot/core/engines/face-engine-id';
import {
  GalleryEmbeddingMismatchError,
  type GalleryPhoto,
  type GalleryRepository,
} from '@faceshot/core/gallery/gallery-repository';
import type { PayloadOf, ResultOf } from '@faceshot/core/queues/definitions';
import { PermanentJobError } from '@faceshot/core/queues/permanent-job-error';
import type { StageContext } from '@faceshot/core/queues/stage-worker';
import { storageKeys } from '@faceshot/core/storage/keys';
import type { ObjectStore } from '@faceshot/core/storage/object-store';
import { readStoredDocument } from '@faceshot/core/storage/stored-document';
import { type Embedder, type FaceInput, readServingCard } from '@faceshot/vision/embedders';
import sharp from 'sharp';
import type { ModelServing } from './model-serving.js';
import { type PhotoFacesOnThreads, readUpload } from './predict-stage.js';

export interface EnrolStageDependencies {
  store: ObjectStore;
  serving: ModelServing;
  galleries: GalleryRepository;
  faces: PhotoFacesOnThreads;
}

type EnrolResult = ResultOf<'enrol'>;
type Payload<A> = Extract<PayloadOf<'enrol'>, { action: A }>;

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function grayPixelsOf(store: ObjectStore, key: string): Promise<Uint8Array> {
  const { data } = await sharp(await store.get(key))
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export function createEnrolStage(deps: EnrolStageDependencies) {
  async function enrolPhotos(payload: Payload<'enrol'>, context: StageContext): Promise<EnrolResult> {
    const embedder = await deps.serving.embedder(payload.modelId);
    const photos: GalleryPhoto[] = [];
    const report: NonNullable<EnrolResult['photos']> = [];
    const known = new Set(
      (await deps.galleries.get(payload.modelId, payload.identity))?.photos.map((p) => p.sha256),
    );
    for (const [photo, key] of payload.imageKeys.entries()) {
      const bytes = await readUpload(deps.store, key);
      const digest = sha256(bytes);
      if (known.has(digest)) {
        report.push({
          photo,
          outcome: 'duplicate',
          reason: `this photo is already enrolled for "${payload.identity}"`,
        });
        continue;
      }
      known.add(digest);
      const found = await deps.faces(bytes, 'primary', embedder.detector, embedder.engine);
      if (found.outcome !== 'faces') {
        report.push({ photo, outcome: found.outcome, reason: found.reason });
        continue;
      }
      const face = found.faces[0];
      if (face === undefined) continue;
      const [embedding] = embedder.embed([face]);
      // Named by job and position: a retried job rewrites the same objects instead of leaving orphans.
      const photoKey = storageKeys.galleryPhoto(payload.modelId, `${context.jobId}-${photo}`);
      await deps.store.put(photoKey, face.facePng, { contentType: 'image/png' });
      photos.push({
        sha256: digest,
        photoKey,
        embedding: Array.from(embedding ?? []),
        source: 'upload',
        addedAt: new Date().toISOString(),
      });
      report.push({ photo, outcome: 'enrolled', box: face.box });
    }
    if (photos.length === 0) {
      const outcome = report.some((entry) => entry.outcome === 'duplicate') ? 'enrolled' : 'no-face';
      return { action: 'enrol', outcome, identity: payload.identity, enrolled: 0, photos: report };
    }
    let added: Awaited<ReturnType<GalleryRepository['addPhotos']>>;
    try {
      added = await deps.galleries.addPhotos(
        payload.modelId,
        payload.identity,
        photos,
        embedder.embeddingSpace,
      );
    } catch (error) {
      if (!(error instanceof GalleryEmbeddingMismatchError)) throw error;
      await deps.store.deleteMany(photos.map((entry) => entry.photoKey));
      return {
        action: 'enrol',
        outcome: 'conflict',
        reason: error.message,
        identity: payload.identity,
        enrolled: 0,
      };
    }
    const { identity } = added;
    // A concurrent job may have enrolled the same photo first: drop our copy of what was not added.
    const kept = new Set(identity.photos.map((entry) => entry.photoKey));
    await deps.store.deleteMany(
      photos.filter((entry) => !kept.has(entry.photoKey)).map((entry) => entry.photoKey),
    );
    return {
      action: 'enrol',
      outcome: 'enrolled',
      identity: payload.identity,
      enrolled: added.added,
      photos: report,
    };
  }

  async function enrolDataset(
    payload: Payload<'enrol-dataset'>,
    context: StageContext,
  ): Promise<EnrolResult> {
    const { modelId, datasetId } = payload;
    const embedder: Embedder = await deps.serving.embedder(modelId);
    const curation = await readStoredDocument(deps.store, storageKeys.curation(datasetId), CurationSchema);
    if (curation === undefined) throw new PermanentJobError(`dataset "${datasetId}" has no curation yet`);
    // A trained model's held-out photos measure it (protocol b): they never enter its gallery.
    const builtIn = modelId === BASELINE_MODEL_ID || embedder.architecture === 'onnx';
    const heldOut = new Set(
      builtIn ? [] : Object.values((await readServingCard(deps.store, modelId)).heldOut ?? {}).flat(),
    );
    // Kept faces per identity, the most typical (nearest the identity's consensus face) first.
    const byIdentity = new Map<string, { faceId: string; distance: number }[]>();
    for (const [faceId, decision] of Object.entries(curation.faces)) {
      if (decision.status !== 'kept' || heldOut.has(faceId)) continue;
      const list = byIdentity.get(decision.identity) ?? [];
      list.push({ faceId, distance: decision.distance ?? 0 });
      byIdentity.set(decision.identity, list);
    }
    let enrolled = 0;
    let done = 0;
    for (const [identity, faces] of [...byIdentity].sort(([a], [b]) => a.localeCompare(b))) {
      faces.sort((a, b) => a.distance - b.distance || a.faceId.localeCompare(b.faceId));
      const chosen = payload.photosPerIdentity === 0 ? faces : faces.slice(0, payload.photosPerIdentity);
      const inputs: FaceInput[] = [];
      const sources: { faceId: string; faceKey: string }[] = [];
      for (const { faceId } of chosen) {
        const record = await readStoredDocument(
          deps.store,
          storageKeys.faceRecord(datasetId, identity, faceId),
          FaceRecordSchema,
        );
        if (record?.faceKey === undefined || record.descriptor === undefined) continue;
        // A record's descriptor is its extraction engine's: another engine's model cannot use it.
        if (engineOf(record) !== embedder.engine)
          throw new PermanentJobError(
            `dataset "${datasetId}" was described by ${engineOf(record)}, model "${modelId}" embeds with ${embedder.engine}: ` +
              'enrol its people with photos (POST /v1/models/:id/identities) instead',
          );
        inputs.push({
          descriptor: record.descriptor,
          ...(embedder.needsGrayPixels && record.grayKey !== undefined
            ? { grayPixels: await grayPixelsOf(deps.store, record.grayKey) }
            : {}),
        });
        sources.push({ faceId, faceKey: record.faceKey });
      }
      const embeddings = embedder.embed(inputs);
      const photos: GalleryPhoto[] = [];
      for (const [index, source] of sources.entries()) {
        // Named by dataset and face: enrolling the dataset again rewrites, never duplicates.
        const photoKey = storageKeys.galleryPhoto(modelId, `${datasetId}-${source.faceId}`);
        await deps.store.put(photoKey, await deps.store.get(source.faceKey), { contentType: 'image/png' });
        photos.push({
          sha256: source.faceId,
          photoKey,
          embedding: Array.from(embeddings[index] ?? []),
          source: `${datasetId}/${source.faceId}`,
          addedAt: new Date().toISOString(),
        });
      }
      if (photos.length > 0)
        enrolled += (await deps.galleries.addPhotos(modelId, identity, photos, embedder.embeddingSpace))
          .added;
      done += 1;
      await context.progress({ identities: done, of: byIdentity.size, enrolled });
    }
    return { action: 'enrol-dataset', outcome: 'enrolled', enrolled, identities: byIdentity.size };
  }

  return async (payload: PayloadOf<'enrol'>, context: StageContext): Promise<EnrolResult> => {
    switch (payload.action) {
      case 'enrol':
        return enrolPhotos(payload, context);
      case 'enrol-dataset':
        return enrolDataset(payload, context);
    }
  };
}
