// Curation on real lfw-dev descriptors: three photos of another person hidden in one person's folder.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@faceshot/core/config';
import type { FaceRecord } from '@faceshot/core/contracts/face-record';
import { loadFaceEngine } from '@faceshot/vision/face-engine';
import { extractFace, extractionOptions } from '@faceshot/vision/face-extraction';
import { curateIdentity, DEFAULT_CURATION } from './curation.js';

const lfw = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/datasets/lfw-dev');
const defaults = loadConfig({});
const options = extractionOptions(defaults.extract, defaults.limits);

async function records(identity: string, files: string[]): Promise<FaceRecord[]> {
  const engine = await loadFaceEngine();
  const out: FaceRecord[] = [];
  for (const file of files) {
    const result = await extractFace(engine, fs.readFileSync(path.join(lfw, file)), options);
    const faceId = path.basename(file);
    out.push(
      result.outcome === 'face'
        ? { faceId, identity, rawKey: file, outcome: 'face', extractedAt: '', ...result.face }
        : {
            faceId,
            identity,
            rawKey: file,
            outcome: result.outcome,
            reason: result.reason,
            faceCount: 0,
            extractedAt: '',
          },
    );
  }
  return out;
}

let genuine: FaceRecord[];
let intruders: FaceRecord[];

before(async () => {
  const person = 'George_W_Bush';
  const other = 'Colin_Powell';
  genuine = await records(
    person,
    fs
      .readdirSync(path.join(lfw, person))
      .sort()
      .slice(0, 16)
      .map((file) => `${person}/${file}`),
  );
  intruders = await records(
    person,
    fs
      .readdirSync(path.join(lfw, other))
      .sort()
      .slice(0, 3)
      .map((file) => `${other}/${file}`),
  );
});

it('rejects at least 2 of 3 intruders as the wrong person and keeps at least 90% of the genuine photos', () => {
  const decisions = curateIdentity('George_W_Bush', [...genuine, ...intruders], new Map(), {
    ...DEFAULT_CURATION,
    keepPerIdentity: 20,
  });
  const wrong = intruders.filter((record) => /wrong person/.test(decisions[record.faceId]?.reason ?? ''));
  assert.ok(wrong.length >= 2, `intruders rejected as wrong person: ${wrong.length} of 3`);
  const keptGenuine = genuine.filter((record) => decisions[record.faceId]?.status === 'kept');
  assert.ok(
    keptGenuine.length >= Math.ceil(genuine.length * 0.9),
    `genuine kept: ${keptGenuine.length} of ${genuine.length}`,
  );
});

it('keeps at most N faces, the most typical first', () => {
  const decisions = curateIdentity('George_W_Bush', genuine, new Map(), {
    ...DEFAULT_CURATION,
    keepPerIdentity: 5,
  });
  const kept = Object.values(decisions).filter((decision) => decision.status === 'kept');
  assert.equal(kept.length, 5);
  const keptMax = Math.max(...kept.map((decision) => decision.distance ?? 0));
  const beyond = Object.values(decisions).filter((decision) =>
    /beyond the 5 best/.test(decision.reason ?? ''),
  );
  assert.ok(beyond.length > 0);
  assert.ok(beyond.every((decision) => (decision.distance ?? 0) >= keptMax));
});

it('lets a person override either way, and the override survives re-curation', () => {
  const intruder = intruders[0]?.faceId ?? '';
  const typical = genuine[0]?.faceId ?? '';
  const overrides = new Map<string, 'kept' | 'rejected'>([
    [intruder, 'kept'],
    [typical, 'rejected'],
  ]);
  for (let run = 0; run < 2; run++) {
    const decisions = curateIdentity('George_W_Bush', [...genuine, ...intruders], overrides, {
      ...DEFAULT_CURATION,
      keepPerIdentity: 20,
    });
    assert.equal(decisions[intruder]?.status, 'kept');
    assert.equal(decisions[intruder]?.overridden, true);
    assert.equal(decisions[typical]?.status, 'rejected');
    assert.equal(decisions[typical]?.reason, 'rejected by a person');
  }
});
