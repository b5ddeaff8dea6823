// Pipelines as the API knows them: which dataset and model, and the id of each stage's job in the
// BullMQ flow (download → extract → curate → pairs → train → enrol). Kept in Redis beside the models.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

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
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private get key(): string {
    return `${this.prefix}:meta:pipelines`;
  }

  newId(): string {
    return `pl_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  }

  async save(entry: PipelineEntry): Promise<void> {
    await this.redis.hset(this.key, entry.id, JSON.stringify(entry));
  }

  async get(id: string): Promise<PipelineEntry | undefined> {
    const raw = await this.redis.hget(this.key, id);
    return raw === null ? undefined : (JSON.parse(raw) as PipelineEntry);
  }

  async list(): Promise<PipelineEntry[]> {
    return (await this.redis.hvals(this.key))
      .map((raw) => JSON.parse(raw) as PipelineEntry)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }
}
