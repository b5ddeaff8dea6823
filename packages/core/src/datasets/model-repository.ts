// Models as the API knows them (id, dataset, architecture, jobs), kept in Redis beside the datasets.
// The trained artifacts themselves are under models/<id>/ in object storage.
import type { Redis } from 'ioredis';
import { newId, relatedId } from '../ids.js';
import { JsonHash } from '../redis-json-hash.js';

/**
 * The built-in model: face-api's pretrained 128-d descriptor compared by Euclidean distance. It needs
 * no training, so one-shot identification works from the first enrolled photo.
 */
export const BASELINE_MODEL_ID = 'faceapi-baseline';

export interface ModelEntry {
  id: string;
  datasetId: string;
  architecture: 'seed' | 'transfer';
  pairsId: string;
  pairsJobId: string;
  trainJobId: string;
  /** The job that enrols the dataset's identities into the gallery after training. */
  enrolJobId?: string;
  createdAt: string;
}

export class ModelRepository {
  private readonly entries: JsonHash<ModelEntry>;

  constructor(redis: Redis, prefix: string) {
    this.entries = new JsonHash(redis, `${prefix}:meta:models`);
  }

  /** A new model's id and its pairs' id, with the same random part (model_x, pairs_x). */
  newIds(): { modelId: string; pairsId: string } {
    const modelId = newId('model');
    return { modelId, pairsId: relatedId(modelId, 'pairs') };
  }

  async save(entry: ModelEntry): Promise<void> {
    await this.entries.set(entry.id, entry);
  }

  async get(id: string): Promise<ModelEntry | undefined> {
    return this.entries.get(id);
  }

  /** Oldest first. */
  async list(): Promise<ModelEntry[]> {
    return (await this.entries.values()).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async delete(id: string): Promise<void> {
    await this.entries.delete(id);
  }
}
