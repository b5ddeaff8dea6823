// A fixed pool of extraction threads; one task per thread at a time, the rest wait in order.
import { Worker } from 'node:worker_threads';
import type { DetectorName } from '@faceshot/core/engines/detector-name';
import type { FaceEngineId } from '@faceshot/core/engines/face-engine-id';
import type { ExtractionOptions, ExtractionResult, PhotoFacesResult } from './face-extraction.js';

/** What a thread is asked: the primary face as extraction stores it, or a photo's faces for prediction. */
export type ThreadMode = 'extract' | 'faces-all' | 'faces-primary';
type ThreadResult = ExtractionResult | PhotoFacesResult;

interface Task {
  bytes: Buffer;
  mode: ThreadMode;
  /** Overrides the pool's detector for this photo (a model served with the detector it was trained on). */
  detector: DetectorName | undefined;
  /** Overrides the pool's engine for this photo (an ONNX model serving a request). */
  engine: FaceEngineId | undefined;
  resolve(result: ThreadResult): void;
  reject(error: Error): void;
}

interface ThreadReply {
  id: number;
  result?: ThreadResult;
  error?: string;
  backend?: string;
}

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
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly waiting: Task[] = [];
  private readonly running = new Map<Worker, { id: number; task: Task; timer: NodeJS.Timeout }>();
  private nextId = 1;
  private closed = false;
  backend: string | undefined;

  constructor(
    threads: number,
    private readonly options: ExtractionOptions,
  ) {
    for (let index = 0; index < threads; index++) this.spawn();
  }

  private spawn(): void {
    const worker = new Worker(new URL('./extraction-thread.js', import.meta.url), {
      workerData: this.options,
    });
    worker.on('message', (reply: ThreadReply) => this.finish(worker, reply));
    worker.on('error', (error) => this.crash(worker, error));
    worker.on('exit', (code) => {
      if (!this.closed) this.crash(worker, new Error(`extraction thread exited with code ${code}`));
    });
    this.all.push(worker);
    this.idle.push(worker);
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

  private run(
    bytes: Buffer,
    mode: ThreadMode,
    detector: DetectorName | undefined,
    engine?: FaceEngineId,
  ): Promise<ThreadResult> {
    if (this.closed) return Promise.reject(new Error('extraction pool is closed'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ bytes, mode, detector, engine, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.waiting.length > 0) {
      const worker = this.idle.pop() as Worker;
      const task = this.waiting.shift() as Task;
      const id = this.nextId++;
      const timer = setTimeout(
        () => this.crash(worker, new Error(`no answer within ${EXTRACTION_TIMEOUT_MS} ms`)),
        EXTRACTION_TIMEOUT_MS,
      );
      this.running.set(worker, { id, task, timer });
      const copy = new Uint8Array(task.bytes);
      worker.postMessage({ id, mode: task.mode, detector: task.detector, engine: task.engine, bytes: copy }, [
        copy.buffer,
      ]);
    }
  }

  private finish(worker: Worker, reply: ThreadReply): void {
    const current = this.running.get(worker);
    if (current === undefined || current.id !== reply.id) return;
    clearTimeout(current.timer);
    this.running.delete(worker);
    this.idle.push(worker);
    if (reply.backend) this.backend = reply.backend;
    if (reply.result) current.task.resolve(revive(reply.result));
    else current.task.reject(new Error(reply.error ?? 'extraction thread failed'));
    this.dispatch();
  }

  /** A thread died (e.g. out of memory): fail its task (the job is retried) and start a new thread. */
  private crash(worker: Worker, error: Error): void {
    if (!this.all.includes(worker)) return;
    const current = this.running.get(worker);
    if (current) clearTimeout(current.timer);
    this.running.delete(worker);
    this.all.splice(this.all.indexOf(worker), 1);
    const idleAt = this.idle.indexOf(worker);
    if (idleAt >= 0) this.idle.splice(idleAt, 1);
    void worker.terminate();
    current?.task.reject(new Error(`extraction thread failed: ${error.message}`));
    if (!this.closed) {
      this.spawn();
      this.dispatch();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.waiting.splice(0)) task.reject(new Error('extraction pool closed'));
    for (const { timer } of this.running.values()) clearTimeout(timer);
    await Promise.all(this.all.map((worker) => worker.terminate()));
  }
}
