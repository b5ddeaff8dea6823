// The faces of an evaluation folder: each photo read and detected once, in photo order, so every
// model is scored on exactly the same faces and the seeded pairs repeat from run to run.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import type { FaceInput } from '@faceshot/vision/embedders';
import type { ExtractionPool } from '@faceshot/vision/extraction-pool';
import type { PhotoFile } from './import-command.js';
import type { ProgressBar } from './progress-bar.js';

export interface EvalFace {
  identity: string;
  /** `<identity>/<file>`, for reports. */
  photo: string;
  /** sha256 of the photo's bytes: the face id a dataset gives it (model cards list held-out photos by it). */
  sha256: string;
  face: FaceInput;
}

export interface ExtractedFaces {
  /** One per photo with a face, in photo order. */
  faces: EvalFace[];
  noFace: string[];
  /** Photos without a face, by sha256 → `<identity>/<file>` (protocol b counts them as misses). */
  noFaceSha256: Map<string, string>;
  /** Files that are not readable images (or whose detection failed), with the reason. */
  unreadable: { photo: string; reason: string }[];
}

/** Photos handed to the pool at once: enough to keep every thread busy without reading the whole folder. */
const IN_FLIGHT_PER_THREAD = 2;

export async function extractFaces(
  pool: ExtractionPool,
  threads: number,
  photos: readonly PhotoFile[],
  progress: ProgressBar,
): Promise<ExtractedFaces> {
  const outcomes: (EvalFace | { noFace: string; sha256: string } | { photo: string; reason: string })[] = [];
  let next = 0;
  let done = 0;
  let withoutFace = 0;
  const lane = async () => {
    while (next < photos.length) {
      const index = next++;
      const file = photos[index] as PhotoFile;
      const photo = `${file.identity}/${file.name}`;
      try {
        const bytes = await fs.readFile(file.path);
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        const result = await pool.faces(bytes, 'primary');
        if (result.outcome === 'faces' && result.faces[0] !== undefined) {
          const { descriptor, grayPixels } = result.faces[0];
          // Only what embedders read is kept (the colour crop would cost ~30 KB a photo).
          outcomes[index] = { identity: file.identity, photo, sha256, face: { descriptor, grayPixels } };
        } else if (result.outcome === 'rejected') {
          outcomes[index] = { photo, reason: result.reason };
        } else {
          outcomes[index] = { noFace: photo, sha256 };
          withoutFace++;
        }
      } catch (error) {
        // A thread that crashed or timed out on one photo must not end an evaluation of thousands.
        outcomes[index] = { photo, reason: error instanceof Error ? error.message : String(error) };
      }
      done++;
      progress.update(done, `${withoutFace} without a face`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, threads * IN_FLIGHT_PER_THREAD) }, lane));

  const extracted: ExtractedFaces = { faces: [], noFace: [], noFaceSha256: new Map(), unreadable: [] };
  for (const outcome of outcomes) {
    if ('face' in outcome) extracted.faces.push(outcome);
    else if ('noFace' in outcome) {
      extracted.noFace.push(outcome.noFace);
      extracted.noFaceSha256.set(outcome.sha256, outcome.noFace);
    } else extracted.unreadable.push(outcome);
  }
  return extracted;
}
