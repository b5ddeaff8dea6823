// What made a model's training faces: the engine and net that described them (a trained head reads
// that net's embeddings, so the predictor must describe query photos with the same one) and, for
// face-api, the detector that found them (descriptors and crops depend on its box). The card names
// both; the predictor follows it.
import type { FaceRecord } from '@faceshot/core/contracts/face-record';
import { FaceRecordSchema } from '@faceshot/core/contracts/face-record';
import { type DetectorName, isDetectorName } from '@faceshot/core/engines/detector-name';
import {
  embeddingSpaceOfRecord,
  engineOf,
  FACEAPI_ENGINE,
  type FaceEngineId,
  isFaceEngineId,
} from '@faceshot/core/engines/face-engine-id';
import { PermanentJobError } from '@faceshot/core/queues/permanent-job-error';
import type { ObjectStore } from '@faceshot/core/storage/object-store';
import { readStoredDocument } from '@faceshot/core/storage/stored-document';

/** Records written before extraction recorded its detector came from SSD, then the only default. */
const UNRECORDED: DetectorName = 'ssd';
const READS_AT_ONCE = 16;

/** A grey face's key (datasets/<id>/gray/<identity>/<sha>.png) → its face record's key. */
export const recordKeyOfGrayFace = (key: string) =>
  key.replace('/gray/', '/records/').replace(/\.png$/, '.json');

export interface TrainingFacesSource {
  engine: FaceEngineId;
  /** `faceapi-128` or `onnx-<name>@<digest of its recognition net>`. */
  embeddingSpace: string;
  /** face-api: the detector that found most faces; an ONNX model: its id (it brings its own). */
  detector: DetectorName | FaceEngineId;
  /** Faces per detector (a dataset re-extracted with another detector may mix them). */
  counts: Record<string, number>;
}

/**
 * The engine, net and detector of these faces. Faces of two nets cannot train one model: that is a
 * PermanentJobError naming the first face of the second net.
 */
export async function trainingFacesSource(
  store: ObjectStore,
  grayFaceKeys: readonly string[],
): Promise<TrainingFacesSource> {
  const counts: Record<string, number> = {};
  let first: FaceRecord | undefined;
  for (let start = 0; start < grayFaceKeys.length; start += READS_AT_ONCE) {
    const records = await Promise.all(
      grayFaceKeys
        .slice(start, start + READS_AT_ONCE)
        .map((key) => readStoredDocument(store, recordKeyOfGrayFace(key), FaceRecordSchema)),
    );
    for (const record of records) {
      if (record === undefined) continue;
      first ??= record;
      if (embeddingSpaceOfRecord(record) !== embeddingSpaceOfRecord(first))
        throw new PermanentJobError(
          `face ${record.faceId} of "${record.identity}" was described by ${embeddingSpaceOfRecord(record)}, ` +
            `face ${first.faceId} by ${embeddingSpaceOfRecord(first)}: one model trains on one engine's faces (extract the dataset again)`,
        );
      const engine = engineOf(record);
      const detector =
        engine !== FACEAPI_ENGINE ? engine : isDetectorName(record.detector) ? record.detector : UNRECORDED;
      counts[detector] = (counts[detector] ?? 0) + 1;
    }
  }
  const engine = first === undefined ? FACEAPI_ENGINE : engineOf(first);
  if (!isFaceEngineId(engine)) throw new PermanentJobError(`faces name an unknown engine "${engine}"`);
  const ranked = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  const detector = (ranked[0]?.[0] ?? UNRECORDED) as DetectorName | FaceEngineId;
  return {
    engine,
    embeddingSpace: first === undefined ? embeddingSpaceOfRecord({}) : embeddingSpaceOfRecord(first),
    detector,
    counts,
  };
}
