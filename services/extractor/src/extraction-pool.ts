// A fixed pool of extraction threads; one task per thread at a time, the rest wait in order.
import { Worker } from 'node:worker_threads';
import type { ExtractionOptions, ExtractionResult } from './face-extraction.js';

interface Task {
  bytes: Buffer;
  resolve(result: ExtractionResult): void;
  reject(error: Error): void;
}

interface ThreadReply {
  id: number;
  result?: ExtractionResult;
  error?: string;
  backend?: string;
}

/** Structured cloning turns Buffers into Uint8Arrays; give the caller Buffers back. */
function revive(result: ExtractionResult): ExtractionResult {
  if (result.outcome !== 'face') return result;
  return { ...result, facePng: Buffer.from(result.facePng), grayPng: Buffer.from(result.grayPng) };
}

export class ExtractionPool {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly waiting: Task[] = [];
  private readonly running = new Map<Worker, { id: number; task: Task }>();
  private nextId = 1;
  private closed = false;
  backend: string | undefined;

  constructor(threads: number, options: ExtractionOptions) {
    const script = new URL('./extraction-thread.js', import.meta.url);
    for (let index = 0; index < threads; index++) {
      const worker = new Worker(script, { workerData: options });
      worker.on('message', (reply: ThreadReply) => this.finish(worker, reply));
      worker.on('error', (error) => this.crash(worker, error));
      this.all.push(worker);
      this.idle.push(worker);
    }
  }

  extract(bytes: Buffer): Promise<ExtractionResult> {
    if (this.closed) return Promise.reject(new Error('extraction pool is closed'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ bytes, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.waiting.length > 0) {
      const worker = this.idle.pop() as Worker;
      const task = this.waiting.shift() as Task;
      const id = this.nextId++;
      this.running.set(worker, { id, task });
      const copy = new Uint8Array(task.bytes);
      worker.postMessage({ id, bytes: copy }, [copy.buffer]);
    }
  }

  private finish(worker: Worker, reply: ThreadReply): void {
    const current = this.running.get(worker);
    if (current === undefined || current.id !== reply.id) return;
    this.running.delete(worker);
    this.idle.push(worker);
    if (reply.backend) this.backend = reply.backend;
    if (reply.result) current.task.resolve(revive(reply.result));
    else current.task.reject(new Error(reply.error ?? 'extraction thread failed'));
    this.dispatch();
  }

  private crash(worker: Worker, error: Error): void {
    const current = this.running.get(worker);
    this.running.delete(worker);
    current?.task.reject(error);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.waiting.splice(0)) task.reject(new Error('extraction pool closed'));
    await Promise.all(this.all.map((worker) => worker.terminate()));
  }
}
