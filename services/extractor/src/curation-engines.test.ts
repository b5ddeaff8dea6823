// Curation of another engine's descriptors: its own metric and threshold, and faces described by
// another net rejected with the reason (never compared with these).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { FaceRecord } from '@faceshot/core/contracts/face-record';
import { curateIdentity, curationFor, DEFAULT_CURATION } from './curation.js';

const SPACE = 'onnx-m@0123456789abcdef';

function record(faceId: string, descriptor: number[], extra: Partial<FaceRecord> = {}): FaceRecord {
  return {
    faceId,
    identity: 'ann',
    rawKey: `raw/${faceId}`,
    outcome: 'face',
    faceCount: 1,
    score: 0.9,
    box: { x: 0, y: 0, width: 100, height: 100 },
    descriptor,
    engine: 'onnx-m',
    embeddingSpace: SPACE,
    extractedAt: '2026-11-30T00:00:00.000Z',
    ...extra,
  };
}

/** A unit vector at `degrees` in the plane of the first two axes (cosine distance 1 − cos of the angle). */
const at = (degrees: number) => [Math.cos((degrees * Math.PI) / 180), Math.sin((degrees * Math.PI) / 180), 0];

it("scales face-api's limits to the engine's threshold and uses its distance", () => {
  const settings = curationFor(SPACE, 'cosine', 0.4);
  assert.equal(settings.distance, 'cosine');
  assert.equal(settings.wrongPersonDistance, 0.4);
  assert.equal(settings.clusterDistance, Number(((0.4 * 0.55) / 0.6).toFixed(4)));
  assert.equal(settings.minScore, DEFAULT_CURATION.minScore);
  assert.equal(DEFAULT_CURATION.embeddingSpace, 'faceapi-128');
});

it('rejects the wrong person by cosine distance, and faces of another net by their space', () => {
  const params = { ...curationFor(SPACE, 'cosine', 0.3), keepPerIdentity: 10 };
  // Same person within 10 degrees (cosine distance ≤ 0.016); an intruder at 80 degrees (0.74 from the consensus at 5).
  // Euclidean distance would not separate them the same way: unit vectors, but the limit is cosine.
  const faces = [record('a', at(0)), record('b', at(5)), record('c', at(10)), record('d', at(80))];
  const other = record('e', at(2), { embeddingSpace: 'onnx-m@ffffffffffffffff' });
  const legacy = record('f', at(2), { engine: undefined, embeddingSpace: undefined });
  const decisions = curateIdentity('ann', [...faces, other, legacy], new Map(), params);
  assert.equal(decisions.a?.status, 'kept');
  assert.equal(decisions.b?.status, 'kept');
  assert.equal(decisions.c?.status, 'kept');
  assert.equal(decisions.d?.status, 'rejected');
  assert.match(
    String(decisions.d?.reason),
    /wrong person: 0\.74 from the identity's consensus face \(limit 0\.3\)/,
  );
  assert.ok(Math.abs((decisions.c?.distance ?? 0) - (1 - Math.cos((5 * Math.PI) / 180))) < 1e-3);
  assert.match(
    String(decisions.e?.reason),
    /described by onnx-m@ffffffffffffffff, not onnx-m@0123456789abcdef/,
  );
  assert.match(String(decisions.f?.reason), /described by faceapi-128/);
});
