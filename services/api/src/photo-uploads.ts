// Photos sent to identify, verify and enrol: each multipart file part is streamed to a temp file
// (size limit), checked to be a readable photo within the pixel limit, and stored under uploads/ for
// the worker. The caller deletes the uploads once the job is done.
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { FileTooLargeError, type SpooledFile } from '@faceshot/core/datasets/ingest-image';
import { ImageRejectedError, probeImage } from '@faceshot/core/images/probe-image';
import { storageKeys } from '@faceshot/core/storage/keys';
import type { ObjectStore } from '@faceshot/core/storage/object-store';
import type { FastifyRequest } from 'fastify';
import { HttpProblem } from './problem.js';
import { UploadReader } from './upload-reader.js';

export interface PhotoUploadLimits {
  imageMaxBytes: number;
  imageMaxPixels: number;
  tempDir: string;
  /** An upload that sends nothing for this long fails with 408. */
  bodyIdleTimeoutMs: number;
}

export interface UploadedPhotos {
  keys: string[];
  /** Text fields of the form, by name (the last value wins). */
  fields: Record<string, string>;
  /** Deletes the stored uploads. */
  discard(): Promise<void>;
}

/**
 * Reads the multipart form of `request`: between `minPhotos` and `maxPhotos` file parts (any field
 * name) and text fields. Errors: 415 (not multipart, not an image), 413 (too many bytes or pixels),
 * 400 (too few or too many photos).
 */
export async function receivePhotos(
  request: FastifyRequest,
  store: ObjectStore,
  limits: PhotoUploadLimits,
  count: { min: number; max: number },
): Promise<UploadedPhotos> {
  if (!request.isMultipart()) {
    throw new HttpProblem(
      415,
      'send the photo as multipart/form-data (a file part, e.g. -F photo=@face.jpg)',
    );
  }
  const keys: string[] = [];
  const fields: Record<string, string> = {};
  const discard = async () => {
    await store.deleteMany(keys.splice(0)).catch(() => undefined);
  };
  const reader = new UploadReader(request, limits.bodyIdleTimeoutMs);
  try {
    for (let part = await reader.next(); part !== undefined; part = await reader.next()) {
      if (part.type === 'field') {
        fields[part.fieldname] = String(part.value);
        continue;
      }
      if (keys.length >= count.max) {
        part.file.resume();
        throw new HttpProblem(400, `send at most ${count.max} photo${count.max === 1 ? '' : 's'}`);
      }
      let spooled: SpooledFile | undefined;
      try {
        spooled = await reader.spool(part.file, limits.tempDir, limits.imageMaxBytes);
        if (part.file.truncated) throw new FileTooLargeError(limits.imageMaxBytes);
        const info = await probeImage(spooled.path, limits.imageMaxPixels);
        const key = storageKeys.upload(randomUUID(), info.extension);
        await store.putStream(key, createReadStream(spooled.path), {});
        keys.push(key);
      } catch (error) {
        if (error instanceof FileTooLargeError)
          throw new HttpProblem(413, `photo ${part.filename ?? ''} ${error.message}`.replace('  ', ' '));
        if (error instanceof ImageRejectedError) {
          throw new HttpProblem(
            error.kind === 'too-large' ? 413 : 415,
            `photo ${keys.length + 1}: ${error.reason}`,
          );
        }
        throw error;
      } finally {
        await spooled?.discard();
      }
    }
    if (keys.length < count.min) {
      throw new HttpProblem(
        400,
        `send ${count.min === count.max ? count.min : `at least ${count.min}`} photo file part${count.min === 1 ? '' : 's'}`,
      );
    }
  } catch (error) {
    await discard();
    throw error;
  } finally {
    reader.close();
  }
  return { keys, fields, discard };
}
