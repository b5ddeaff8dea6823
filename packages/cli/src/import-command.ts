// `faceshot import <dir> --dataset <name>`: uploads <dir>/<identity>/* through the API in batches.

import { type Dirent, openAsBlob } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { UploadFileResult } from '@faceshot/client/faceshot-client';
import type { ApiClient } from './api-client.js';
import { ProgressBar } from './progress-bar.js';

export interface PhotoFile {
  identity: string;
  name: string;
  path: string;
  bytes: number;
}

export interface IdentityCounts {
  identity: string;
  files: number;
  stored: number;
  duplicate: number;
  rejected: number;
}

export interface ImportReport {
  datasetId: string;
  datasetName: string;
  identities: IdentityCounts[];
  rejected: { identity: string; filename: string; reason: string }[];
}

/** Whether an entry is a folder or a file, following symbolic links (a tree of links to photos counts). */
async function entryKind(parent: string, entry: Dirent): Promise<'folder' | 'file' | 'other'> {
  if (entry.isSymbolicLink()) {
    const target = await fs.stat(path.join(parent, entry.name)).catch(() => undefined);
    return target?.isDirectory() ? 'folder' : target?.isFile() ? 'file' : 'other';
  }
  return entry.isDirectory() ? 'folder' : entry.isFile() ? 'file' : 'other';
}

/** Files of <dir>/<identity>/ (hidden files and nested folders are skipped). */
export async function findPhotos(dir: string): Promise<PhotoFile[]> {
  const photos: PhotoFile[] = [];
  const entries = await fs.readdir(dir, { withFileTypes: true });
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.') || (await entryKind(dir, entry)) !== 'folder') continue;
    const identityDir = path.join(dir, entry.name);
    for (const file of (await fs.readdir(identityDir, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      if (file.name.startsWith('.') || (await entryKind(identityDir, file)) !== 'file') continue;
      const filePath = path.join(identityDir, file.name);
      photos.push({
        identity: entry.name,
        name: file.name,
        path: filePath,
        bytes: (await fs.stat(filePath)).size,
      });
    }
  }
  return photos;
}

/** Batches of at most `maxFiles` files and about `maxBytes` bytes, so each request stays small. */
export function batchesOf(photos: PhotoFile[], maxFiles: number, maxBytes: number): PhotoFile[][] {
  const batches: PhotoFile[][] = [];
  let current: PhotoFile[] = [];
  let bytes = 0;
  for (const photo of photos) {
    if (current.length > 0 && (current.length >= maxFiles || bytes + photo.bytes > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(photo);
    bytes += photo.bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export async function importDirectory(
  client: ApiClient,
  dir: string,
  datasetName: string,
  progressOut: NodeJS.WriteStream,
  /** Paths to leave out (the demo keeps one photo back to identify). */
  exclude: ReadonlySet<string> = new Set(),
): Promise<ImportReport> {
  const photos = (await findPhotos(dir)).filter((photo) => !exclude.has(photo.path));
  if (photos.length === 0) throw new Error(`${dir} has no photos in <identity>/ folders`);
  const dataset = await client.datasetNamed(datasetName);
  const counts = new Map<string, IdentityCounts>();
  for (const photo of photos) {
    const row = counts.get(photo.identity) ?? {
      identity: photo.identity,
      files: 0,
      stored: 0,
      duplicate: 0,
      rejected: 0,
    };
    row.files += 1;
    counts.set(photo.identity, row);
  }
  const rejected: ImportReport['rejected'] = [];
  const bar = new ProgressBar(photos.length, progressOut);
  let done = 0;
  bar.update(0);
  for (const batch of batchesOf(photos, 16, 8 * 1024 * 1024)) {
    // The part's file name carries the identity: "<identity>/<file>".
    const files: File[] = [];
    for (const photo of batch)
      files.push(new File([await openAsBlob(photo.path)], `${photo.identity}/${photo.name}`));
    const results: UploadFileResult[] = await client.uploadImages(dataset.id, files);
    for (const [index, result] of results.entries()) {
      const photo = batch[index];
      if (photo === undefined) continue;
      const row = counts.get(photo.identity);
      if (row !== undefined) row[result.outcome] += 1;
      if (result.outcome === 'rejected') {
        rejected.push({
          identity: photo.identity,
          filename: photo.name,
          reason: result.reason ?? 'rejected',
        });
      }
    }
    done += batch.length;
    bar.update(done, photos[done - 1]?.identity ?? '');
  }
  return { datasetId: dataset.id, datasetName: dataset.name, identities: [...counts.values()], rejected };
}

export function formatReport(report: ImportReport): string {
  const header = ['identity', 'files', 'stored', 'duplicate', 'rejected'];
  const rows = report.identities.map((row) =>
    [row.identity, row.files, row.stored, row.duplicate, row.rejected].map(String),
  );
  const totals = [
    'total',
    ...(['files', 'stored', 'duplicate', 'rejected'] as const).map((field) =>
      String(report.identities.reduce((sum, row) => sum + row[field], 0)),
    ),
  ];
  const table = [header, ...rows, totals];
  const widths = header.map((_, column) => Math.max(...table.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ');
  const out = [
    `dataset ${report.datasetName} (${report.datasetId})`,
    line(header),
    ...rows.map(line),
    line(totals),
  ];
  if (report.rejected.length > 0) {
    out.push('', 'rejected:');
    for (const item of report.rejected) out.push(`  ${item.identity}/${item.filename}: ${item.reason}`);
  }
  return `${out.join('\n')}\n`;
}
