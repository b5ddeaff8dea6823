// The shared face photo sets (../shared/datasets beside the repository). Tests read them in place.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const datasetsRoot = path.resolve(repoRoot, '../shared/datasets');

export function datasetPath(...parts: string[]): string {
  return path.join(datasetsRoot, ...parts);
}

/** Identity folder names of a dataset, sorted. */
export function identitiesOf(dataset: string): string[] {
  return fs
    .readdirSync(datasetPath(dataset), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

export function photosOf(dataset: string, identity: string): string[] {
  return fs
    .readdirSync(datasetPath(dataset, identity))
    .sort()
    .map((file) => datasetPath(dataset, identity, file));
}
