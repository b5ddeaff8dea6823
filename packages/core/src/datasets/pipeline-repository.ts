// Pipelines as the API knows them: which dataset and model, and the id of each stage's job in the
// BullMQ flow (download → extract → curate → pairs → train → enrol). Kept in Redis beside the models.
import type { Redis } from 'ioredis';
import { newId } from '../ids.js';
import { JsonHash } from '../redis-json-hash.js';

export interface PipelineEntry {
  id: string;
  datasetId: string;
  modelId: string;
  createdAt: string;
  jobs: {
    download: string[];
    /** The curate job also runs the extract jobs, as its children, once the downloads are in. */
    curate: string;
    pairs: string;
    train: string;
    enrol: string;
  };
  cancelledAt?: string;
}

export class PipelineRepository {
  private readonly entries: JsonHash<PipelineEntry>;

  constructor(redis: Redis, prefix: string) {
    this.entries = new JsonHash(redis, `${prefix}:meta:pipelines`);
  }

  newId(): string {
    return newId('pl');
  }

  async save(entry: PipelineEntry): Promise<void> {
    await this.entries.set(entry.id, entry);
  }

  async get(id: string): Promise<PipelineEntry | undefined> {
    return this.entries.get(id);
  }

  /** Newest first. */
  async list(): Promise<PipelineEntry[]> {
    return (await this.entries.values()).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }
}
