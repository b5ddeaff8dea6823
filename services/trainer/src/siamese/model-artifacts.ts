// A tfjs layers model as storage objects: models/<id>/model.json + weights.bin (the format
// tf.loadLayersModel reads), and the same artifacts as one JSON document for checkpoints.
import type * as TF from '@tensorflow/tfjs';

type Tf = typeof TF;

export async function modelArtifacts(tf: Tf, model: TF.LayersModel): Promise<TF.io.ModelArtifacts> {
  let captured: TF.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (captured === undefined) throw new Error('model did not save');
  return captured;
}

function weightBytes(artifacts: TF.io.ModelArtifacts): Buffer {
  const data = artifacts.weightData;
  if (data === undefined) return Buffer.alloc(0);
  const parts = Array.isArray(data) ? data : [data];
  return Buffer.concat(parts.map((part) => Buffer.from(part)));
}

/** model.json and weights.bin as tf.loadLayersModel expects them side by side. */
export function layersModelFiles(artifacts: TF.io.ModelArtifacts): { modelJson: Buffer; weightsBin: Buffer } {
  const modelJson = {
    format: 'layers-model',
    generatedBy: 'faceshot',
    convertedBy: null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
  };
  return { modelJson: Buffer.from(JSON.stringify(modelJson)), weightsBin: weightBytes(artifacts) };
}

export function artifactsToJson(artifacts: TF.io.ModelArtifacts): object {
  return {
    modelTopology: artifacts.modelTopology,
    weightSpecs: artifacts.weightSpecs,
    weightData: weightBytes(artifacts).toString('base64'),
  };
}

export async function modelFromJson(
  tf: Tf,
  json: { modelTopology: object; weightSpecs: TF.io.WeightsManifestEntry[]; weightData: string },
): Promise<TF.LayersModel> {
  const bytes = Buffer.from(json.weightData, 'base64');
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightSpecs,
      weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    }),
  );
}
