// face-api on the best TensorFlow.js backend this machine has, loaded once per process (or thread):
// @tensorflow/tfjs-node-gpu → @tensorflow/tfjs-node → WebAssembly (SIMD) → plain JS. The native ones
// are optional dependencies (their installers download libtensorflow), so each is tried in turn.
// face-api and tfjs are CommonJS and must share one tfjs instance: both are loaded with require().
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import type * as FaceApi from '@vladmandic/face-api';

const require = createRequire(import.meta.url);

export type FaceApiModule = typeof FaceApi;
export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export interface FaceEngine {
  faceapi: FaceApiModule;
  /** face-api's tfjs instance (the one its nets run on), typed as the public package. */
  tf: typeof TF;
  backend: BackendName;
  /** Why better backends were skipped, for the log. */
  skipped: string[];
}

const faceApiDist = (file: string) => require.resolve(`@vladmandic/face-api/dist/${file}`);
export const FACE_API_MODEL_DIR = path.join(
  path.dirname(require.resolve('@vladmandic/face-api/package.json')),
  'model',
);

async function tryBackend(name: BackendName): Promise<FaceApiModule> {
  switch (name) {
    case 'tensorflow-gpu':
      require.resolve('@tensorflow/tfjs-node-gpu');
      return require(faceApiDist('face-api.node-gpu.js')) as FaceApiModule;
    case 'tensorflow':
      require.resolve('@tensorflow/tfjs-node');
      return require(faceApiDist('face-api.node.js')) as FaceApiModule;
    case 'wasm':
    case 'cpu': {
      const faceapi = require(faceApiDist('face-api.node-wasm.js')) as FaceApiModule;
      const tf = faceapi.tf as unknown as {
        setBackend(name: string): Promise<boolean>;
        ready(): Promise<void>;
      };
      if (name === 'wasm') {
        const wasm = require('@tensorflow/tfjs-backend-wasm') as { setWasmPaths(prefix: string): void };
        wasm.setWasmPaths(
          `${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'))}/dist/`,
        );
      }
      if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} did not initialise`);
      await tf.ready();
      return faceapi;
    }
  }
}

/** The nets every detector shares; the detectors themselves load on first use (detectors.ts). */
async function loadModels(faceapi: FaceApiModule): Promise<void> {
  await faceapi.nets.faceLandmark68Net.loadFromDisk(FACE_API_MODEL_DIR);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(FACE_API_MODEL_DIR);
}

let loading: Promise<FaceEngine> | undefined;

/** The process's face engine; the first call picks the backend and loads the models. */
export function loadFaceEngine(order: readonly BackendName[] = BACKEND_ORDER): Promise<FaceEngine> {
  loading ??= (async () => {
    const skipped: string[] = [];
    for (const backend of order) {
      try {
        const faceapi = await tryBackend(backend);
        await loadModels(faceapi);
        return { faceapi, tf: faceapi.tf as unknown as typeof TF, backend, skipped };
      } catch (error) {
        skipped.push(`${backend}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      }
    }
    throw new Error(`no TensorFlow.js backend could start (${skipped.join('; ')})`);
  })();
  return loading;
}
