// The curate stage: reads every face record of a dataset, decides, writes curation.json.

import type { FaceRecord } from '@faceshot/core/contracts/face-record';
import { FaceRecordSchema } from '@faceshot/core/contracts/face-record';
import type { DatasetRepository } from '@faceshot/core/datasets/dataset-repository';
import { embeddingSpaceOfRecord, engineOf } from '@faceshot/core/engines/face-engine-id';
import type { PayloadOf, ResultOf } from '@faceshot/core/queues/definitions';
import { PermanentJobError } from '@faceshot/core/queues/permanent-job-error';
import type { StageContext } from '@faceshot/core/queues/stage-worker';
import { storageKeys } from '@faceshot/core/storage/keys';
import type { ObjectStore } from '@faceshot/core/storage/object-store';
import { readStoredDocument } from '@faceshot/core/storage/stored-document';
import { type CurationParams, curateDataset } from './curation.js';

export interface CurateStageDependencies {
  store: ObjectStore;
  datasets: DatasetRepository;
  /** EXTRACT_ENGINE: describes a dataset none of whose photos is described yet. */
  defaultEngine: string;
  /**
   * Curation settings for an engine's descriptors (curation-settings.ts); PermanentJobError for an
   * ONNX model that is not installed here.
   */
  curationSettings(engine: string): Promise<Omit<CurationParams, 'keepPerIdentity'>>;
}

export async function readFaceRecords(store: ObjectStore, datasetId: string): Promise<FaceRecord[]> {
  const records: FaceRecord[] = [];
  for await (const object of store.list(`${storageKeys.datasetPrefix(datasetId)}records/`)) {
    if (!object.key.endsWith('.json')) continue;
    const record = await readStoredDocument(store, object.key, FaceRecordSchema);
    if (record !== undefined) records.push(record);
  }
  return records;
}

/**
 * A pipeline's extraction: one extract job per photo without a face record of `engine` (none yet, or
 * one another engine made), run before curating.
 */
async function extractMissingPhotos(
  deps: CurateStageDependencies,
  datasetId: string,
  engine: string,
  records: readonly FaceRecord[],
  context: StageContext,
): Promise<void> {
  const extracted = new Set(
    records.filter((record) => engineOf(record) === engine).map((record) => record.faceId),
  );
  const images = (await deps.datasets.images(datasetId)).filter((image) => !extracted.has(image.sha256));
  context.log.info(
    { photos: images.length, alreadyExtracted: extracted.size, engine },
    'extracting before curation',
  );
  await context.childrenFirst(
    'extract',
    images.map((image) => ({
      datasetId,
      identity: image.identity,
      rawKey: image.key,
      sha256: image.sha256,
      engine,
    })),
  );
}

/** The most common value (ties: the first seen), or undefined for none. */
function mostCommon(values: readonly string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
}

/**
 * The engine a dataset is curated (and, in a pipeline, extracted) with: the requested one, else the
 * one that described most of its faces, so a dataset extracted with an ONNX model stays with it.
 */
function datasetEngine(
  deps: CurateStageDependencies,
  requested: string | undefined,
  records: readonly FaceRecord[],
) {
  const faces = records.filter((record) => record.outcome === 'face');
  return requested ?? mostCommon(faces.map(engineOf)) ?? deps.defaultEngine;
}

/** What curation compares: the engine's descriptors, in its metric (faces of another are rejected). */
async function curationSettings(
  deps: CurateStageDependencies,
  engine: string,
  records: readonly FaceRecord[],
): Promise<Omit<CurationParams, 'keepPerIdentity'>> {
  const faces = records.filter((record) => record.outcome === 'face');
  const settings = await deps.curationSettings(engine);
  // A model whose net was replaced since some faces were described: the current net's faces count,
  // else the space most of this engine's faces share.
  const spaces = faces.filter((record) => engineOf(record) === engine).map(embeddingSpaceOfRecord);
  const embeddingSpace = spaces.includes(settings.embeddingSpace)
    ? settings.embeddingSpace
    : (mostCommon(spaces) ?? settings.embeddingSpace);
  return { ...settings, embeddingSpace };
}

export function createCurateStage(deps: CurateStageDependencies) {
  return async (payload: PayloadOf<'curate'>, context: StageContext): Promise<ResultOf<'curate'>> => {
    const { datasetId, keepPerIdentity } = payload;
    if ((await deps.datasets.get(datasetId)) === undefined)
      throw new PermanentJobError(`dataset "${datasetId}" does not exist`);
    let records = await readFaceRecords(deps.store, datasetId);
    const engine = datasetEngine(deps, payload.engine, records);
    if (payload.extractFirst === true) {
      await extractMissingPhotos(deps, datasetId, engine, records, context);
      records = await readFaceRecords(deps.store, datasetId);
    }
    const settings = await curationSettings(deps, engine, records);
    const curation = curateDataset(datasetId, records, await deps.datasets.faceOverrides(datasetId), {
      ...settings,
      keepPerIdentity,
    });
    await deps.store.put(storageKeys.curation(datasetId), Buffer.from(JSON.stringify(curation, null, 1)), {
      contentType: 'application/json',
    });
    const decisions = Object.values(curation.faces);
    const kept = decisions.filter((decision) => decision.status === 'kept').length;
    await context.progress(100);
    return {
      identities: new Set(decisions.map((decision) => decision.identity)).size,
      kept,
      rejected: decisions.length - kept,
    };
  };
}
