// Datasets and their image manifests, kept in Redis so that concurrent uploads and download jobs
// update them atomically (one hash field per image; HSETNX decides which writer stores a photo).
// The photos themselves are in object storage under datasets/<id>/ (content-addressed keys).
import type { Redis } from 'ioredis';
import { newId } from '../ids.js';
import { JsonHash } from '../redis-json-hash.js';
import { runScript } from '../redis-scripts.js';

export interface Dataset {
  id: string;
  name: string;
  createdAt: string;
}

export type ImageSource = { kind: 'upload'; filename: string } | { kind: 'url'; url: string; query?: string };

/** One raw photo of a dataset, keyed by the sha256 of its bytes. */
export interface ManifestEntry {
  sha256: string;
  identity: string;
  key: string;
  bytes: number;
  width: number;
  height: number;
  format: string;
  source: ImageSource;
  addedAt: string;
}

export class DatasetNameTakenError extends Error {
  constructor(readonly existingId: string) {
    super(`a dataset with this name exists (${existingId})`);
    this.name = 'DatasetNameTakenError';
  }
}

export const MAX_DATASET_NAME_LENGTH = 100;

export class DatasetRepository {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private get datasetsKey(): string {
    return `${this.prefix}:meta:datasets`;
  }
  private get records(): JsonHash<Dataset> {
    return new JsonHash(this.redis, this.datasetsKey);
  }
  private get namesKey(): string {
    return `${this.prefix}:meta:dataset-names`;
  }
  private imagesKey(datasetId: string): string {
    return `${this.prefix}:meta:dataset:${datasetId}:images`;
  }
  /** A dataset's photo manifest: one entry per photo, by the sha256 of its bytes. */
  private manifest(datasetId: string): JsonHash<ManifestEntry> {
    return new JsonHash(this.redis, this.imagesKey(datasetId));
  }

  async create(name: string): Promise<Dataset> {
    const dataset: Dataset = {
      id: newId('ds'),
      name,
      createdAt: new Date().toISOString(),
    };
    // One atomic step: the name is claimed and the record written together, or neither (a crash
    // between two round trips would leave a name taken by no dataset). Returns the existing id if taken.
    const existing = (await runScript(
      this.redis,
      'dataset-create',
      [this.namesKey, this.datasetsKey],
      [name, dataset.id, JSON.stringify(dataset)],
    )) as string | null;
    if (existing !== null) throw new DatasetNameTakenError(existing);
    return dataset;
  }

  async get(id: string): Promise<Dataset | undefined> {
    return this.records.get(id);
  }

  async findByName(name: string): Promise<Dataset | undefined> {
    const id = await this.redis.hget(this.namesKey, name);
    return id === null ? undefined : this.get(id);
  }

  async list(): Promise<Dataset[]> {
    return (await this.records.values()).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async delete(dataset: Dataset): Promise<void> {
    await this.redis
      .multi()
      .hdel(this.datasetsKey, dataset.id)
      .hdel(this.namesKey, dataset.name)
      .del(this.imagesKey(dataset.id))
      .del(this.overridesKey(dataset.id))
      .exec();
  }

  /**
   * Records a photo unless the dataset already has these bytes. Returns undefined when this call
   * recorded it, or the entry that was there first (the photo is then a duplicate).
   */
  async claimImage(datasetId: string, entry: ManifestEntry): Promise<ManifestEntry | undefined> {
    const manifest = this.manifest(datasetId);
    if (await manifest.setIfAbsent(entry.sha256, entry)) return undefined;
    return manifest.get(entry.sha256);
  }

  private overridesKey(datasetId: string): string {
    return `${this.prefix}:meta:dataset:${datasetId}:face-overrides`;
  }

  /** A person's kept/rejected decision for one face; curation applies it on every run. */
  async setFaceOverride(datasetId: string, faceId: string, status: 'kept' | 'rejected'): Promise<void> {
    await this.redis.hset(this.overridesKey(datasetId), faceId, status);
  }

  async faceOverrides(datasetId: string): Promise<Map<string, 'kept' | 'rejected'>> {
    const all = await this.redis.hgetall(this.overridesKey(datasetId));
    return new Map(
      Object.entries(all).filter(
        (entry): entry is [string, 'kept' | 'rejected'] => entry[1] === 'kept' || entry[1] === 'rejected',
      ),
    );
  }

  async image(datasetId: string, sha256: string): Promise<ManifestEntry | undefined> {
    return this.manifest(datasetId).get(sha256);
  }

  async images(datasetId: string): Promise<ManifestEntry[]> {
    return this.manifest(datasetId).values();
  }

  /** Removes every manifest entry of one identity; returns the removed entries. */
  async removeIdentity(datasetId: string, identity: string): Promise<ManifestEntry[]> {
    const removed = (await this.images(datasetId)).filter((entry) => entry.identity === identity);
    await this.manifest(datasetId).delete(...removed.map((entry) => entry.sha256));
    return removed;
  }
}
