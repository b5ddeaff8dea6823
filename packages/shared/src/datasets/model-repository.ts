// Models as the API knows them (id, dataset, architecture, jobs), kept in Redis beside the datasets.
// The trained artifacts themselves are under models/<id>/ in object storage.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

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
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private get key(): string {
    return `${this.prefix}:meta:models`;
  }

  newIds(): { modelId: string; pairsId: string } {
    const id = randomUUID().replaceAll('-', '').slice(0, 16);
    return { modelId: `model_${id}`, pairsId: `pairs_${id}` };
  }

  async save(entry: ModelEntry): Promise<void> {
    await this.redis.hset(this.key, entry.id, JSON.stringify(entry));
  }

  async get(id: string): Promise<ModelEntry | undefined> {
    const raw = await this.redis.hget(this.key, id);
    return raw === null ? undefined : (JSON.parse(raw) as ModelEntry);
  }

  async list(): Promise<ModelEntry[]> {
    return (await this.redis.hvals(this.key))
      .map((raw) => JSON.parse(raw) as ModelEntry)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async delete(id: string): Promise<void> {
    await this.redis.hdel(this.key, id);
  }
}
