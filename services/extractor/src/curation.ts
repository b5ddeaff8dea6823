// Automatic curation, replacing the seed project's manual pass: per identity, find the consensus face
// (the medoid of the largest cluster of descriptors), reject faces of someone else and faces below
// the quality floors, keep the N most typical. A person's override always wins.
import type { Curation, CurationDecision, FaceRecord } from '@faceshot/core/contracts/face-record';
import { embeddingSpaceOfRecord, FACEAPI_EMBEDDING_SPACE } from '@faceshot/core/engines/face-engine-id';
import { type DistanceKind, distanceOf } from '@faceshot/vision/embedding-distance';

export interface CurationParams {
  keepPerIdentity: number;
  /** The descriptors compared: records of another embedding space are rejected ("re-extract"). */
  embeddingSpace: string;
  /** How descriptors are compared: face-api's are Euclidean; an ONNX model's manifest says. */
  distance: DistanceKind;
  /** Farther than this from the consensus face: another person. face-api's usual same-person limit is 0.6. */
  wrongPersonDistance: number;
  /** Faces this close to each other count as one cluster when looking for the consensus. */
  clusterDistance: number;
  minScore: number;
  minFacePixels: number;
}

/** face-api's descriptors: Euclidean, same person under 0.6 (its authors' limit). */
export const DEFAULT_CURATION: Omit<CurationParams, 'keepPerIdentity'> = {
  embeddingSpace: FACEAPI_EMBEDDING_SPACE,
  distance: 'euclidean',
  wrongPersonDistance: 0.6,
  clusterDistance: 0.55,
  minScore: 0.5,
  minFacePixels: 32,
};

/**
 * Curation of another engine's descriptors: its own distance, "another person" beyond its match
 * threshold and clusters at the same share of it as face-api's (0.55 of 0.6).
 */
export function curationFor(
  embeddingSpace: string,
  distance: DistanceKind,
  threshold: number,
): Omit<CurationParams, 'keepPerIdentity'> {
  const clusterShare = DEFAULT_CURATION.clusterDistance / DEFAULT_CURATION.wrongPersonDistance;
  return {
    ...DEFAULT_CURATION,
    embeddingSpace,
    distance,
    wrongPersonDistance: threshold,
    clusterDistance: Number((threshold * clusterShare).toFixed(4)),
  };
}

/** The face most typical of the identity: the medoid of the largest cluster (undefined for < 3 faces). */
export function consensusFace(
  faces: FaceRecord[],
  clusterDistance: number,
  kind: DistanceKind = 'euclidean',
): FaceRecord | undefined {
  if (faces.length < 3) return undefined;
  const distance = (a: readonly number[], b: readonly number[]) => distanceOf(kind, a, b);
  const distances = faces.map((a) => faces.map((b) => distance(a.descriptor ?? [], b.descriptor ?? [])));
  const neighbours = distances.map((row) =>
    row.map((d, index) => (d < clusterDistance ? index : -1)).filter((index) => index >= 0),
  );
  // The densest face seeds the cluster (ties: smaller mean distance).
  const mean = (row: number[]) => row.reduce((sum, d) => sum + d, 0) / row.length;
  let seed = 0;
  for (let index = 1; index < faces.length; index++) {
    const more = (neighbours[index]?.length ?? 0) - (neighbours[seed]?.length ?? 0);
    if (more > 0 || (more === 0 && mean(distances[index] ?? []) < mean(distances[seed] ?? []))) seed = index;
  }
  const cluster = neighbours[seed] ?? [seed];
  let medoid = seed;
  let best = Number.POSITIVE_INFINITY;
  for (const candidate of cluster) {
    const total = cluster.reduce((sum, other) => sum + (distances[candidate]?.[other] ?? 0), 0);
    if (total < best) {
      best = total;
      medoid = candidate;
    }
  }
  return faces[medoid];
}

export function curateIdentity(
  identity: string,
  records: FaceRecord[],
  overrides: ReadonlyMap<string, 'kept' | 'rejected'>,
  params: CurationParams,
): Record<string, CurationDecision> {
  const decisions: Record<string, CurationDecision> = {};
  const candidates: FaceRecord[] = [];
  for (const record of records) {
    if (record.outcome !== 'face' || record.descriptor === undefined) {
      decisions[record.faceId] = {
        identity,
        status: 'rejected',
        reason: record.reason ?? `no usable face (${record.outcome})`,
      };
    } else if (embeddingSpaceOfRecord(record) !== params.embeddingSpace) {
      decisions[record.faceId] = {
        identity,
        status: 'rejected',
        reason: `described by ${embeddingSpaceOfRecord(record)}, not ${params.embeddingSpace} (extract it again)`,
      };
    } else if ((record.score ?? 0) < params.minScore) {
      decisions[record.faceId] = {
        identity,
        status: 'rejected',
        reason: `detection score ${record.score?.toFixed(2)} below ${params.minScore}`,
      };
    } else if (Math.min(record.box?.width ?? 0, record.box?.height ?? 0) < params.minFacePixels) {
      decisions[record.faceId] = {
        identity,
        status: 'rejected',
        reason: `face smaller than ${params.minFacePixels} px`,
      };
    } else {
      candidates.push(record);
    }
  }
  const consensus = consensusFace(candidates, params.clusterDistance, params.distance);
  const ranked = candidates
    .map((record) => ({
      record,
      distance: consensus
        ? distanceOf(params.distance, record.descriptor ?? [], consensus.descriptor ?? [])
        : 0,
    }))
    .sort((a, b) => a.distance - b.distance || (b.record.blur ?? 0) - (a.record.blur ?? 0));
  let kept = 0;
  for (const { record, distance: d } of ranked) {
    const rounded = Number(d.toFixed(4));
    if (consensus !== undefined && d > params.wrongPersonDistance) {
      decisions[record.faceId] = {
        identity,
        status: 'rejected',
        reason: `wrong person: ${d.toFixed(2)} from the identity's consensus face (limit ${params.wrongPersonDistance})`,
        distance: rounded,
      };
    } else if (kept >= params.keepPerIdentity) {
      decisions[record.faceId] = {
        identity,
        status: 'rejected',
        reason: `beyond the ${params.keepPerIdentity} best faces`,
        distance: rounded,
      };
    } else {
      decisions[record.faceId] = { identity, status: 'kept', distance: rounded };
      kept++;
    }
  }
  for (const [faceId, decision] of Object.entries(decisions)) {
    const override = overrides.get(faceId);
    if (override === undefined) continue;
    const { reason, ...rest } = decision;
    decisions[faceId] =
      override === 'kept'
        ? { ...rest, status: 'kept', overridden: true }
        : { ...rest, status: 'rejected', overridden: true, reason: reason ?? 'rejected by a person' };
  }
  return decisions;
}

export function curateDataset(
  datasetId: string,
  records: FaceRecord[],
  overrides: ReadonlyMap<string, 'kept' | 'rejected'>,
  params: CurationParams,
): Curation {
  const byIdentity = new Map<string, FaceRecord[]>();
  for (const record of records)
    byIdentity.set(record.identity, [...(byIdentity.get(record.identity) ?? []), record]);
  const faces: Record<string, CurationDecision> = {};
  for (const [identity, identityRecords] of byIdentity)
    Object.assign(faces, curateIdentity(identity, identityRecords, overrides, params));
  return { datasetId, curatedAt: new Date().toISOString(), params, faces };
}
