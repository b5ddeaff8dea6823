// The curate stage: reads every face record of a dataset, decides, writes curation.json.
import type { DatasetRepository } from '@faceshot/shared/datasets/dataset-repository';
import type { FaceRecord } from '@faceshot/shared/datasets/face-record';
import type { PayloadOf, ResultOf } from '@faceshot/shared/queues/definitions';
import { PermanentJobError } from '@faceshot/shared/queues/permanent-job-error';
import type { StageContext } from '@faceshot/shared/queues/stage-worker';
import { storageKeys } from '@faceshot/shared/storage/keys';
import type { ObjectStore } from '@faceshot/shared/storage/object-store';
import { curateDataset, DEFAULT_CURATION } from './curation.js';

export async function readFaceRecords(store: ObjectStore, datasetId: string): Promise<FaceRecord[]> {
  const records: FaceRecord[] = [];
  for await (const object of store.list(`${storageKeys.datasetPrefix(datasetId)}records/`)) {
    if (object.key.endsWith('.json'))
      records.push(JSON.parse((await store.get(object.key)).toString('utf8')) as FaceRecord);
  }
  return records;
}

/** A pipeline's extraction: one extract job per photo without a face record, run before curating. */
async function extractNewPhotos(
  deps: { store: ObjectStore; datasets: DatasetRepository },
  datasetId: string,
  context: StageContext,
): Promise<void> {
  const extracted = new Set<string>();
  for await (const object of deps.store.list(`${storageKeys.datasetPrefix(datasetId)}records/`)) {
    extracted.add(object.key.slice(object.key.lastIndexOf('/') + 1).replace(/\.json$/, ''));
  }
  const images = (await deps.datasets.images(datasetId)).filter((image) => !extracted.has(image.sha256));
  context.log.info({ photos: images.length, alreadyExtracted: extracted.size }, 'extracting before curation');
  await context.childrenFirst(
    'extract',
    images.map((image) => ({ datasetId, identity: image.identity, rawKey: image.key, sha256: image.sha256 })),
  );
}

export function createCurateStage(deps: { store: ObjectStore; datasets: DatasetRepository }) {
  return async (payload: PayloadOf<'curate'>, context: StageContext): Promise<ResultOf<'curate'>> => {
    const { datasetId, keepPerIdentity } = payload;
    if ((await deps.datasets.get(datasetId)) === undefined)
      throw new PermanentJobError(`dataset "${datasetId}" does not exist`);
    if (payload.extractFirst === true) await extractNewPhotos(deps, datasetId, context);
    const records = await readFaceRecords(deps.store, datasetId);
    const curation = curateDataset(datasetId, records, await deps.datasets.faceOverrides(datasetId), {
      ...DEFAULT_CURATION,
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
