// Worker threads that compute a seed-network step's gradients on part of a batch (data-parallel
// training, train-siamese.ts): one WebAssembly backend per thread (tfjs-backend-wasm runs one thread
// per backend in Node), each with a replica of the model that gets the current weights with every
// request. The caller averages the parts' gradients and applies them once.
import { Worker } from 'node:worker_threads';
import type * as TF from '@tensorflow/tfjs';

export interface GradientRequest {
  /** The trainable weights, in model.trainableWeights order. */
  weights: Float32Array[];
  /** One tower's input shape, batch first. */
  inputShape: number[];
  a: Float32Array;
  b: Float32Array;
  labels: Float32Array;
  margin: number;
  /** One seed per Dropout layer, in order. */
  seeds: number[];
}

export interface GradientAnswer {
  loss: number;
  /** In model.trainableWeights order. */
  grads: Float32Array[];
}

/** What the thread is started with. */
export interface GradientThreadData {
  /** model.toJSON(): the replica's architecture. */
  topology: string;
  fastKernels: boolean;
}

type Reply = { id: number; answer: GradientAnswer } | { id: number; error: string };

export class GradientThread {
  private readonly worker: Worker;
  private readonly pending = new Map<
    number,
    { resolve(answer: GradientAnswer): void; reject(error: Error): void }
  >();
  private nextId = 1;
  private failure: Error | undefined;

  constructor(data: GradientThreadData) {
    this.worker = new Worker(new URL('./gradient-thread.js', import.meta.url), { workerData: data });
    this.worker.on('message', (reply: Reply) => {
      const waiting = this.pending.get(reply.id);
      if (waiting === undefined) return;
      this.pending.delete(reply.id);
      if ('answer' in reply) waiting.resolve(reply.answer);
      else waiting.reject(new Error(`gradient thread: ${reply.error}`));
    });
    const fail = (error: Error) => {
      this.failure ??= error;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', (error) => fail(new Error(`gradient thread failed: ${error.message}`)));
    this.worker.on('exit', (code) => fail(new Error(`gradient thread exited with code ${code}`)));
  }

  gradients(request: GradientRequest): Promise<GradientAnswer> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // The inputs move to the thread; the weights are shared by every thread's request, so copied.
      this.worker.postMessage({ id, request }, [
        request.a.buffer as ArrayBuffer,
        request.b.buffer as ArrayBuffer,
      ]);
    });
  }

  async close(): Promise<void> {
    this.failure ??= new Error('gradient thread closed');
    await this.worker.terminate();
  }
}

/** `count` threads with replicas of the model's architecture. */
export function startGradientThreads(
  model: TF.LayersModel,
  count: number,
  fastKernels: boolean,
): GradientThread[] {
  const topology = JSON.stringify(model.toJSON(null, false));
  return Array.from({ length: count }, () => new GradientThread({ topology, fastKernels }));
}
