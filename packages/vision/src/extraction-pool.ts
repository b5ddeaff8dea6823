// A fixed pool of extraction threads (Piscina): one task per thread at a time, the rest queued in
// order; a thread that dies fails its task (the job is retried) and is replaced; a task that takes
// longer than the timeout is aborted, which terminates and replaces its (wedged) thread.

import type { DetectorName } from '@faceshot/core/engines/detector-name';
import type { FaceEngineId } from '@faceshot/core/engines/face-engine-id';
import { Piscina } from 'piscina';
import type { ThreadMode, ThreadReply, ThreadRequest } from './extraction-thread.js';
import type { ExtractionOptions, ExtractionResult, PhotoFacesResult } from './face-extraction.js';

type ThreadResult = ExtractionResult | PhotoFacesResult;

/** Structured cloning turns Buffers into Uint8Arrays; give the caller Buffers back. */
function revive(result: ThreadResult): ThreadResult {
  if (result.outcome === 'face')
    return { ...result, facePng: Buffer.from(result.facePng), grayPng: Buffer.from(result.grayPng) };
  if (result.outcome === 'faces')
    return {
      ...result,
      faces: result.faces.map((face) => ({ ...face, facePng: Buffer.from(face.facePng) })),
    };
  return result;
}

/** A photo that takes longer than this is abandoned and its thread replaced (a wedged thread). */
export const EXTRACTION_TIMEOUT_MS = 120_000;

export class ExtractionPool {
  private readonly pool: Piscina<ThreadRequest, ThreadReply>;
  private closed = false;
  backend: string | undefined;

  constructor(
    threads: number,
    options: ExtractionOptions,
    /** How long one photo may take (a test shortens it to see a thread replaced). */
    public timeoutMs = EXTRACTION_TIMEOUT_MS,
  ) {
    this.pool = new Piscina({
      filename: new URL('./extraction-thread.js', import.meta.url).href,
      workerData: options,
      minThreads: threads,
      maxThreads: threads,
      concurrentTasksPerWorker: 1,
      // Threads hold loaded models: never retire an idle one.
      idleTimeout: Number.POSITIVE_INFINITY,
    });
  }

  /** The photo's primary face, aligned and cropped, as the extract stage stores it (the pool's engine unless one is named). */
  extract(bytes: Buffer, engine?: FaceEngineId): Promise<ExtractionResult> {
    return this.run(bytes, 'extract', undefined, engine) as Promise<ExtractionResult>;
  }

  /**
   * Every face of the photo, or only its primary face, for identification and enrolment; with the
   * pool's detector unless one is named.
   */
  faces(
    bytes: Buffer,
    which: 'all' | 'primary',
    detector?: DetectorName,
    engine?: FaceEngineId,
  ): Promise<PhotoFacesResult> {
    const mode = which === 'all' ? 'faces-all' : 'faces-primary';
    return this.run(bytes, mode, detector, engine) as Promise<PhotoFacesResult>;
  }

  private async run(
    bytes: Buffer,
    mode: ThreadMode,
    detector: DetectorName | undefined,
    engine: FaceEngineId | undefined,
  ): Promise<ThreadResult> {
    if (this.closed) throw new Error('extraction pool is closed');
    const copy = new Uint8Array(bytes);
    let reply: ThreadReply;
    try {
      reply = await this.pool.run(
        { mode, bytes: copy, ...(detector ? { detector } : {}), ...(engine ? { engine } : {}) },
        { transferList: [copy.buffer], signal: AbortSignal.timeout(this.timeoutMs) },
      );
    } catch (error) {
      const reason =
        error instanceof Error && error.name === 'AbortError'
          ? `no answer within ${this.timeoutMs} ms`
          : error instanceof Error
            ? error.message
            : String(error);
      throw new Error(`extraction thread failed: ${reason}`);
    }
    this.backend = reply.backend;
    if ('error' in reply) throw new Error(reply.error);
    return revive(reply.result);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pool.destroy();
  }
}
