// The extract stage: one raw photo → aligned colour face, grey training face and a face record.
import type { FaceRecord } from '@faceshot/core/contracts/face-record';
import type { FaceEngineId } from '@faceshot/core/engines/face-engine-id';
import type { PayloadOf, ResultOf } from '@faceshot/core/queues/definitions';
import { PermanentJobError } from '@faceshot/core/queues/permanent-job-error';
import type { StageContext } from '@faceshot/core/queues/stage-worker';
import { storageKeys } from '@faceshot/core/storage/keys';
import { ObjectNotFoundError, type ObjectStore } from '@faceshot/core/storage/object-store';
import type { ExtractionResult } from '@faceshot/vision/face-extraction';

export interface ExtractStageDependencies {
  store: ObjectStore;
  /** The photo's face described by `engine` (absent: the extractor's EXTRACT_ENGINE). */
  extract(bytes: Buffer, engine: FaceEngineId | undefined): Promise<ExtractionResult>;
}

export function createExtractStage(deps: ExtractStageDependencies) {
  return async (payload: PayloadOf<'extract'>, context: StageContext): Promise<ResultOf<'extract'>> => {
    const { datasetId, identity, rawKey, sha256 } = payload;
    let bytes: Buffer;
    try {
      bytes = await deps.store.get(rawKey);
    } catch (error) {
      if (error instanceof ObjectNotFoundError)
        throw new PermanentJobError(`raw photo ${rawKey} does not exist (deleted?)`);
      throw error;
    }
    // The payload's pattern admits only faceapi and onnx-<name>.
    const result = await deps.extract(bytes, payload.engine as FaceEngineId | undefined);
    const record: FaceRecord = {
      faceId: sha256,
      identity,
      rawKey,
      outcome: result.outcome,
      faceCount: result.outcome === 'face' ? result.face.faceCount : 0,
      extractedAt: new Date().toISOString(),
    };
    if (result.outcome === 'face') {
      const faceKey = storageKeys.face(datasetId, identity, sha256);
      const grayKey = storageKeys.gray(datasetId, identity, sha256);
      // Content-addressed keys: a retried job rewrites the same objects.
      await deps.store.put(faceKey, result.facePng, { contentType: 'image/png' });
      await deps.store.put(grayKey, result.grayPng, { contentType: 'image/png' });
      Object.assign(record, result.face, { faceKey, grayKey });
    } else {
      record.reason = result.reason;
    }
    await deps.store.put(
      storageKeys.faceRecord(datasetId, identity, sha256),
      Buffer.from(JSON.stringify(record)),
      {
        contentType: 'application/json',
      },
    );
    await context.progress(100);
    context.log.debug({ outcome: result.outcome, faceCount: record.faceCount }, 'extracted');
    if (result.outcome === 'face') {
      return {
        outcome: 'face',
        faceCount: record.faceCount,
        faceKey: record.faceKey,
        grayKey: record.grayKey,
      };
    }
    return { outcome: result.outcome, faceCount: 0, reason: result.reason };
  };
}
