// A gallery snapshot made searchable: every reference photo's embedding in one vector index, each
// labelled with its identity, so the nearest identities of a face come from its nearest photos.
import type { GalleryIdentity } from '@faceshot/core/gallery/gallery-repository';
import { buildVectorIndex, type VectorIndex } from './vector-index/vector-index.js';

export interface IdentityMatch {
  identity: string;
  distance: number;
}

export class GalleryIndex {
  private readonly index: VectorIndex | undefined;
  private readonly names: string[];
  /** Most photos any one identity has: how many extra rows a top-k search must look past. */
  private readonly maxPhotosPerIdentity: number;

  constructor(
    identities: readonly GalleryIdentity[],
    readonly dimensions: number,
    exactBelow: number,
    /** What made the embeddings (undefined: a gallery from before it was recorded, or an empty one). */
    readonly embeddingSpace?: string,
  ) {
    this.names = identities.map((entry) => entry.identity);
    const rows = identities.flatMap((entry, label) =>
      entry.photos
        .filter((photo) => photo.embedding.length === dimensions)
        .map((photo) => ({ label, embedding: photo.embedding })),
    );
    this.maxPhotosPerIdentity = Math.max(1, ...identities.map((entry) => entry.photos.length));
    if (rows.length === 0) {
      this.index = undefined;
      return;
    }
    const vectors = new Float32Array(rows.length * dimensions);
    const labels = new Uint32Array(rows.length);
    rows.forEach((row, index) => {
      vectors.set(row.embedding, index * dimensions);
      labels[index] = row.label;
    });
    this.index = buildVectorIndex(vectors, dimensions, { labels, exactBelow });
  }

  get identities(): number {
    return this.names.length;
  }

  get kind(): 'exact' | 'ann' | 'empty' {
    return this.index?.kind ?? 'empty';
  }

  /** The k nearest identities (each by its nearest photo), nearest first. */
  nearest(embedding: Float32Array, k: number): IdentityMatch[] {
    if (this.index === undefined) return [];
    if (embedding.length !== this.dimensions) {
      throw new Error(`embedding has ${embedding.length} values, the gallery holds ${this.dimensions}`);
    }
    // Enough photo rows that k distinct identities appear even if the nearest people have many photos.
    const rows = Math.min(this.index.size, k * this.maxPhotosPerIdentity);
    const best = new Map<number, number>();
    for (const match of this.index.search(embedding, rows)) {
      if (!best.has(match.label)) best.set(match.label, match.distance);
      if (best.size === k) break;
    }
    return [...best].map(([label, distance]) => ({ identity: this.names[label] ?? '', distance }));
  }
}
