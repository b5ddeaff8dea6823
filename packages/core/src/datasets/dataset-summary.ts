// Per-identity image counts of a dataset, read from storage (the objects are the truth; the manifest
// only indexes raw photos).

import { storageKeys } from '../storage/keys.js';
import type { ObjectStore } from '../storage/object-store.js';

export const STAGES = ['raw', 'faces', 'gray'] as const;
export type Stage = (typeof STAGES)[number];

export interface IdentityCounts {
  identity: string;
  raw: number;
  faces: number;
  gray: number;
}

export async function summarizeDataset(store: ObjectStore, datasetId: string): Promise<IdentityCounts[]> {
  const prefix = storageKeys.datasetPrefix(datasetId);
  const counts = new Map<string, IdentityCounts>();
  for (const stage of STAGES) {
    for await (const object of store.list(`${prefix}${stage}/`)) {
      const identity = object.key.slice(prefix.length + stage.length + 1).split('/')[0];
      if (identity === undefined || identity === '') continue;
      let row = counts.get(identity);
      if (row === undefined) {
        row = { identity, raw: 0, faces: 0, gray: 0 };
        counts.set(identity, row);
      }
      row[stage] += 1;
    }
  }
  return [...counts.values()].sort((a, b) => a.identity.localeCompare(b.identity));
}
