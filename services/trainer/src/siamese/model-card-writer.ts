// What a finished training leaves in storage: the network (model.json, weights.bin) and its card,
// which leaves through the card schema, so what the API, CLI and web page read is what was written.
import { type ModelCard, ModelCardSchema } from '@faceshot/core/contracts/model-card';
import { parseWithSchema } from '@faceshot/core/schema';
import { storageKeys } from '@faceshot/core/storage/keys';
import type { ObjectStore } from '@faceshot/core/storage/object-store';
import { rocCurve, type ScoredPair } from '@faceshot/vision/evaluation/verification-metrics';
import type * as TF from '@tensorflow/tfjs';
import { layersModelFiles, modelArtifacts } from './model-artifacts.js';

/** The ROC curve of verification pairs, at most 101 points (enough to plot), as false/true positive rates. */
export function sampledRoc(scored: readonly ScoredPair[]): { fpr: number[]; tpr: number[] } {
  const curve = rocCurve(scored);
  const indexes = new Set(
    Array.from({ length: Math.min(101, curve.length) }, (_, step) =>
      Math.round((step * (curve.length - 1)) / Math.max(1, Math.min(100, curve.length - 1))),
    ),
  );
  const picked = [...indexes].map((index) => curve[index]).filter((point) => point !== undefined);
  const round = (value: number) => Math.round(value * 10_000) / 10_000;
  return {
    fpr: picked.map((point) => round(point.falsePositiveRate)),
    tpr: picked.map((point) => round(point.truePositiveRate)),
  };
}

/** JSON has no NaN: a figure that could not be measured is written as null. */
const finiteJson = (_: string, value: unknown) =>
  typeof value === 'number' && !Number.isFinite(value) ? null : value;

/** Flat figures of the trained model (lists, dashboards, the job's result). */
export function flatMetrics(protocols: ModelCard['protocols']): Record<string, number> {
  const metrics: Record<string, number> = {};
  const flat: [keyof ModelCard['protocols'], string, string][] = [
    ['unseenPeople', 'oneShot5Way', 'oneShot5Way'],
    ['unseenPeople', 'oneShotAllWay', 'oneShotAllWay'],
    ['unseenPeople', 'auc', 'testAuc'],
    ['unseenPeople', 'tarAtFar', 'testTarAtFar'],
    ['heldOutPhotos', 'top1', 'heldOutTop1'],
    ['heldOutPhotos', 'tarAtFar', 'heldOutTarAtFar'],
  ];
  for (const [protocol, metric, name] of flat) {
    const value = protocols[protocol].metrics.find((entry) => entry.metric === metric)?.trained.value;
    if (value !== null && value !== undefined && Number.isFinite(value)) metrics[name] = value;
  }
  metrics.unseenPeople = protocols.unseenPeople.people;
  metrics.heldOutPeople = protocols.heldOutPhotos.people;
  return metrics;
}

/** Stores the network, then the card (checked against its schema), then drops the checkpoint. */
export async function writeTrainedModel(
  tf: typeof TF,
  store: ObjectStore,
  model: TF.LayersModel,
  card: ModelCard,
): Promise<void> {
  const { modelId } = card;
  const { modelJson, weightsBin } = layersModelFiles(await modelArtifacts(tf, model));
  await store.put(storageKeys.modelFile(modelId, 'weights.bin'), weightsBin, {
    contentType: 'application/octet-stream',
  });
  await store.put(storageKeys.modelFile(modelId, 'model.json'), modelJson, {
    contentType: 'application/json',
  });
  const json = JSON.parse(JSON.stringify(card, finiteJson));
  parseWithSchema(ModelCardSchema, json, 'model card');
  await store.put(storageKeys.modelFile(modelId, 'card.json'), Buffer.from(JSON.stringify(json, null, 1)), {
    contentType: 'application/json',
  });
  await store.deleteMany([storageKeys.modelFile(modelId, 'checkpoint.json')]);
}
