// `faceshot onnx-models push <folder>`: checks a model folder the way the engine will use it (manifest,
// files, every net opens in onnxruntime with the tensors the manifest names) and copies it into the
// object store, from where processes with ONNX_MODELS_FROM_STORE mirror it.
import path from 'node:path';
import type { Config } from '@faceshot/core/config';
import { OnnxModelError, readOnnxModelFolder } from '@faceshot/core/engines/onnx/onnx-manifest';
import { pushOnnxModel } from '@faceshot/core/engines/onnx/onnx-model-store';
import { createObjectStore } from '@faceshot/core/storage/create-object-store';
import { OnnxFaceModel } from '@faceshot/vision/onnx/onnx-face-model';

export async function onnxPushCommand(
  folder: string,
  config: Config,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  let model: OnnxFaceModel;
  try {
    model = await OnnxFaceModel.load(await readOnnxModelFolder(path.resolve(folder)), 1);
  } catch (error) {
    if (!(error instanceof OnnxModelError)) throw error;
    err.write(`faceshot: ${error.message}\n`);
    return 2;
  }
  const space = model.embeddingSpace;
  await model.release();
  const keys = await pushOnnxModel(createObjectStore(config.storage), model.folder);
  out.write(
    `${model.id} (${space}): ${keys.length} objects stored under onnx-models/${model.folder.name}/\n` +
      'processes with ONNX_MODELS_FROM_STORE=true list it within ONNX_MODELS_SYNC_INTERVAL_MS\n',
  );
  return 0;
}
