// Records stored as JSON, one per field of a Redis hash: the datasets, models and pipelines the API
// knows, and a dataset's photo manifest. The one place such a record is read back.
import type { Redis } from 'ioredis';

export class JsonHash<T> {
  constructor(
    private readonly redis: Redis,
    readonly key: string,
  ) {}

  async set(field: string, value: T): Promise<void> {
    await this.redis.hset(this.key, field, JSON.stringify(value));
  }

  /** Writes the record unless the field exists; true when this call wrote it. */
  async setIfAbsent(field: string, value: T): Promise<boolean> {
    return (await this.redis.hsetnx(this.key, field, JSON.stringify(value))) === 1;
  }

  async get(field: string): Promise<T | undefined> {
    const raw = await this.redis.hget(this.key, field);
    return raw === null ? undefined : this.parse(raw);
  }

  /** Every record, in no particular order. */
  async values(): Promise<T[]> {
    return (await this.redis.hvals(this.key)).map((raw) => this.parse(raw));
  }

  async delete(...fields: string[]): Promise<void> {
    if (fields.length > 0) await this.redis.hdel(this.key, ...fields);
  }

  /** Only this module's writers put JSON of T here. */
  private parse(raw: string): T {
    return JSON.parse(raw) as T;
  }
}
