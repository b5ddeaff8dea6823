// The extraction pool on real threads: photos in, faces out, in any number at once; a photo that takes
// longer than the timeout is abandoned with a clear error and its thread replaced, so the next photo
// is still answered; a closed pool refuses work.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@faceshot/core/config';
import { EXTRACTION_TIMEOUT_MS, ExtractionPool } from './extraction-pool.js';
import { extractionOptions } from './face-extraction.js';

const lfw = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/datasets/lfw-dev');
const person = fs.readdirSync(lfw).sort()[0] ?? '';
const photos = fs
  .readdirSync(path.join(lfw, person))
  .sort()
  .slice(0, 3)
  .map((name) => fs.readFileSync(path.join(lfw, person, name)));
const defaults = loadConfig({});
const options = extractionOptions(defaults.extract, defaults.limits);

const pools: ExtractionPool[] = [];
after(() => Promise.all(pools.map((pool) => pool.close())));

it('answers more photos than it has threads, each with its face', async () => {
  const pool = new ExtractionPool(2, options);
  pools.push(pool);
  const results = await Promise.all([...photos, ...photos].map((bytes) => pool.extract(bytes)));
  assert.deepEqual(
    results.map((result) => result.outcome),
    results.map(() => 'face'),
  );
  const first = results[0];
  assert.ok(first?.outcome === 'face' && Buffer.isBuffer(first.facePng), 'crops come back as Buffers');
  assert.equal(pool.backend, 'wasm');
  const faces = await pool.faces(photos[0] ?? Buffer.alloc(0), 'all');
  assert.equal(faces.outcome, 'faces');
});

it('abandons a photo past the timeout, replaces its thread and goes on', async () => {
  // 1 ms: the first photo cannot finish (the thread is still loading its models).
  const pool = new ExtractionPool(1, options, 1);
  pools.push(pool);
  await assert.rejects(
    pool.extract(photos[0] ?? Buffer.alloc(0)),
    /extraction thread failed: no answer within 1 ms/,
  );
  // The same pool, its only thread terminated and replaced, answers the next photo.
  pool.timeoutMs = EXTRACTION_TIMEOUT_MS;
  assert.equal((await pool.extract(photos[1] ?? Buffer.alloc(0))).outcome, 'face');
  await pool.close();
  await assert.rejects(pool.extract(photos[1] ?? Buffer.alloc(0)), /extraction pool is closed/);
});

it('answers a photo that is not an image as rejected, not as a thread failure', async () => {
  const pool = new ExtractionPool(1, options);
  pools.push(pool);
  const result = await pool.extract(Buffer.from('not a photo'));
  assert.equal(result.outcome, 'rejected');
});
