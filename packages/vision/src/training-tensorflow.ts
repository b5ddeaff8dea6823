// TensorFlow.js for training: the same backend choice as the face engine, plus the Conv2D gradient
// the WebAssembly backend lacks, and (on WebAssembly) the fast training kernels, on unless the caller
// switches them off (setFastTrainingKernels). tfjs is loaded with require() so it is the instance
// face-api uses.
import { createRequire } from 'node:module';
import type * as TF from '@tensorflow/tfjs';
import { registerConv2dGradient } from './conv2d-filter-gradient.js';
import { loadFaceEngine } from './face-engine.js';
import { setFastTrainingKernels } from './fast-training-kernels.js';

const require = createRequire(import.meta.url);
let loading: Promise<{ tf: typeof TF; backend: string }> | undefined;

export function loadTrainingTensorflow(): Promise<{ tf: typeof TF; backend: string }> {
  loading ??= (async () => {
    const engine = await loadFaceEngine();
    const tf = require('@tensorflow/tfjs') as typeof TF;
    registerConv2dGradient(tf);
    setFastTrainingKernels(tf, true);
    return { tf, backend: engine.backend };
  })();
  return loading;
}
