// Which face detector found a model's training faces: the card names it, and the predictor reads
// query photos with the same detector (descriptors and crops depend on the box it gives).
import type { FaceRecord } from '@faceshot/shared/datasets/face-record';
import { PermanentJobError } from '@faceshot/shared/queues/permanent-job-error';
import { type ObjectStore, readJsonObject } from '@faceshot/shared/storage/object-store';
import { type DetectorName, isDetectorName } from '@faceshot/shared/vision/face-detector';
import { engineOf, FACEAPI_ENGINE } from '@faceshot/shared/vision/face-engine-id';

/** Records written before extraction recorded its detector came from SSD, then the only default. */
const UNRECORDED: DetectorName = 'ssd';
const READS_AT_ONCE = 16;

/** A grey face's key (datasets/<id>/gray/<identity>/<sha>.png) → its face record's key. */
export const recordKeyOfGrayFace = (key: string) =>
  key.replace('/gray/', '/records/').replace(/\.png$/, '.json');

/**
 * The detector that found most of these faces (a dataset re-extracted with another detector may mix
 * them), with how many each found.
 */
export async function trainingDetector(
  store: ObjectStore,
  grayFaceKeys: readonly string[],
): Promise<{ detector: DetectorName; counts: Partial<Record<DetectorName, number>> }> {
  const counts: Partial<Record<DetectorName, number>> = {};
  for (let start = 0; start < grayFaceKeys.length; start += READS_AT_ONCE) {
    const records = await Promise.all(
      grayFaceKeys
        .slice(start, start + READS_AT_ONCE)
        .map((key) => readJsonObject<FaceRecord>(store, recordKeyOfGrayFace(key))),
    );
    for (const record of records) {
      if (record === undefined) continue;
      // The trained heads read face-api's 128-d descriptors: another engine's would be mixed in.
      if (engineOf(record) !== FACEAPI_ENGINE)
        throw new PermanentJobError(
          `face ${record.faceId} of "${record.identity}" was described by ${engineOf(record)}; trained models are built on ${FACEAPI_ENGINE} descriptors only (re-extract the dataset)`,
        );
      const detector = isDetectorName(record.detector) ? record.detector : UNRECORDED;
      counts[detector] = (counts[detector] ?? 0) + 1;
    }
  }
  const ranked = (Object.entries(counts) as [DetectorName, number][]).sort((a, b) => b[1] - a[1]);
  return { detector: ranked[0]?.[0] ?? UNRECORDED, counts };
}
