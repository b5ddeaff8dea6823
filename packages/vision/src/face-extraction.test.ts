// Extraction on real photos from ../shared/datasets (small subsets; full runs are in bench/).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { loadConfig } from '@faceshot/core/config';
import sharp from 'sharp';
import { type FaceEngine, loadFaceEngine } from './face-engine.js';
import { choosePrimaryFace, extractFace, extractionOptions } from './face-extraction.js';

const datasets = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/datasets');
const defaults = loadConfig({});
const options = extractionOptions(defaults.extract, defaults.limits);

/** The first photo of each of `count` identities, spread over the dataset. */
function sample(dataset: string, count: number): string[] {
  const identities = fs.readdirSync(path.join(datasets, dataset)).sort();
  const step = Math.max(1, Math.floor(identities.length / count));
  return identities
    .filter((_, index) => index % step === 0)
    .slice(0, count)
    .map((identity) => {
      const files = fs.readdirSync(path.join(datasets, dataset, identity)).sort();
      return path.join(datasets, dataset, identity, files[1] ?? files[0] ?? '');
    });
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (crcTable[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
/** A small, valid PNG whose header claims 30000×30000 pixels (a decompression bomb's shape). */
function claimedHugePng(): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(30_000, 0);
  header.writeUInt32BE(30_000, 4);
  header.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale
  const row = Buffer.alloc(30_001); // filter byte + one row; the rest is missing
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(row)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('face extraction on real photos', () => {
  let engine: FaceEngine;
  before(async () => {
    engine = await loadFaceEngine();
  });

  for (const [dataset, count, atLeast] of [
    ['lfw-dev', 12, 12],
    ['orl-att-faces', 10, 9],
    ['seed-gray-faces', 10, 9],
  ] as const) {
    it(`finds a face in at least ${atLeast} of ${count} ${dataset} photos, with 160 px colour and 80 px grey crops`, async () => {
      let found = 0;
      for (const file of sample(dataset, count)) {
        const result = await extractFace(engine, fs.readFileSync(file), options);
        if (result.outcome !== 'face') continue;
        found++;
        const face = await sharp(result.facePng).metadata();
        const gray = await sharp(result.grayPng).metadata();
        assert.deepEqual([face.width, face.height, face.channels], [160, 160, 3]);
        assert.deepEqual([gray.width, gray.height, gray.channels], [80, 80, 1]);
        assert.equal(result.face.descriptor.length, 128);
        assert.equal(result.face.landmarks.length, 68);
      }
      assert.ok(found >= atLeast, `${dataset}: face found in ${found} of ${count}`);
    });
  }

  it('ends corrupt, tiny, bomb-shaped and face-less photos with a clear outcome', async () => {
    const jpeg = fs.readFileSync(sample('lfw-dev', 1)[0] ?? '');
    const corrupt = await extractFace(engine, jpeg.subarray(0, 3000), options);
    assert.equal(corrupt.outcome, 'rejected');
    assert.match(corrupt.outcome === 'rejected' ? corrupt.reason : '', /cannot be decoded/);
    const tiny = await sharp({ create: { width: 1, height: 1, channels: 3, background: 'gray' } })
      .png()
      .toBuffer();
    const tinyResult = await extractFace(engine, tiny, options);
    assert.equal(tinyResult.outcome, 'no-face');
    assert.match(tinyResult.outcome === 'no-face' ? tinyResult.reason : '', /1x1, too small/);
    const bomb = await extractFace(engine, claimedHugePng(), options);
    assert.equal(bomb.outcome, 'rejected');
    assert.match(
      bomb.outcome === 'rejected' ? bomb.reason : '',
      /pixel limit|exceeds pixel limit|Input image exceeds/i,
    );
    // A smooth gradient: no face anywhere, even with padding and the lower retry thresholds.
    const gradient = Buffer.alloc(250 * 250 * 3);
    for (let y = 0; y < 250; y++) for (let x = 0; x < 250; x++) gradient.set([x, y, 128], (y * 250 + x) * 3);
    const plain = await sharp(gradient, { raw: { width: 250, height: 250, channels: 3 } })
      .jpeg()
      .toBuffer();
    const noFace = await extractFace(engine, plain, options);
    assert.equal(noFace.outcome, 'no-face');
  });

  it('applies EXIF orientation before detecting', async () => {
    const photo = fs.readFileSync(sample('lfw-dev', 1)[0] ?? '');
    // Pixels stored turned 90° anticlockwise, with EXIF orientation 6 ("turn 90° clockwise to view").
    const sideways = await sharp(photo)
      .rotate(-90)
      .withMetadata({ orientation: 6 })
      .jpeg({ quality: 95 })
      .toBuffer();
    const result = await extractFace(engine, sideways, options);
    assert.equal(result.outcome, 'face');
    if (result.outcome !== 'face') return;
    assert.ok(
      Math.abs(result.face.eyeAngleDeg) < 20,
      `eye line ${result.face.eyeAngleDeg.toFixed(1)}° (upright expected)`,
    );
  });

  it('aligns a photo rotated by 15° so the eye line is within 3° of horizontal', async () => {
    const photo = fs.readFileSync(sample('lfw-dev', 1)[0] ?? '');
    const rotated = await sharp(photo).rotate(15, { background: 'black' }).jpeg({ quality: 95 }).toBuffer();
    const result = await extractFace(engine, rotated, options);
    assert.equal(result.outcome, 'face');
    if (result.outcome !== 'face') return;
    assert.ok(
      Math.abs(result.face.eyeAngleDeg - 15) < 5,
      `eye line in the rotated photo: ${result.face.eyeAngleDeg.toFixed(1)}°`,
    );
    // Extract again from the aligned crop (a tight crop: the padded retries find the face) and measure.
    const again = await extractFace(engine, result.facePng, options);
    assert.equal(again.outcome, 'face', 'the aligned crop still shows a face');
    const angle = again.outcome === 'face' ? again.face.eyeAngleDeg : Number.NaN;
    assert.ok(Math.abs(angle) <= 3, `eye line after alignment: ${angle.toFixed(2)}°`);
  });
});

describe('choosing the labelled person', () => {
  const face = (x: number, y: number, side: number) => ({
    box: { x, y, width: side, height: side },
    score: 0.9,
    landmarks: [],
    descriptor: [],
  });
  it('prefers the large face nearest the centre over the strictly largest one', () => {
    const central = face(95, 95, 60);
    const chosen = choosePrimaryFace([face(0, 0, 80), central, face(200, 200, 20)], 250, 250);
    assert.equal(chosen, central);
  });
  it('ignores a small face in the centre when a much larger one exists', () => {
    const large = face(10, 10, 120);
    assert.equal(choosePrimaryFace([large, face(115, 115, 20)], 250, 250), large);
  });
});
