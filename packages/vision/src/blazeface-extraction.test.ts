// Extraction with the BlazeFace detector (the default) on real photos: tight crops found through its
// zoomed-out view, faces filling the frame landmarked as in a wider photo, the large central face
// among several, and no tensor left behind per photo.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@faceshot/core/config';
import sharp from 'sharp';
import { describeFaces } from './describe-faces.js';
import { detectFaces } from './detect-faces.js';
import { type FaceEngine, loadFaceEngine } from './face-engine.js';
import { extractFace, extractionOptions } from './face-extraction.js';
import { decodeToRgb } from './images/decode-image.js';

const datasets = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/datasets');
const lfw = path.join(datasets, 'lfw-dev');
const defaults = loadConfig({});
const options = extractionOptions(defaults.extract, defaults.limits);

/** The first photo of each of the first `count` people (250×250, one face each, centred). */
function firstPhotos(count: number): string[] {
  return fs
    .readdirSync(lfw)
    .sort()
    .slice(0, count)
    .map((person) => path.join(lfw, person, fs.readdirSync(path.join(lfw, person)).sort()[0] ?? ''));
}

/** The central 80×80 of a 250×250 photo: the face fills the frame, as in ORL or the seed's crops. */
const tightCrop = (file: string) =>
  sharp(fs.readFileSync(file)).extract({ left: 85, top: 90, width: 80, height: 80 }).jpeg().toBuffer();

describe('extraction with BlazeFace', () => {
  let engine: FaceEngine;
  before(async () => {
    engine = await loadFaceEngine();
  });

  it('is the default detector', () => {
    assert.equal(options.detector, 'blazeface');
  });

  it('finds the face of a tight crop in the photo itself, through its zoomed-out view', async () => {
    // The face fills the 80×80 crop: in the photo fitted to BlazeFace's input it is larger than any
    // face BlazeFace learnt (it found nothing there before the zoomed-out view); inside a square twice
    // the photo's size it fills half, and is found without the padded retries.
    for (const file of firstPhotos(3)) {
      const crop = await tightCrop(file);
      const plain = await detectFaces(engine, await decodeToRgb(crop, options.maxPixels), {
        detector: 'blazeface',
        minConfidence: options.minConfidence,
      });
      assert.equal(plain.length, 1, `${file}: one face, found without a border`);
      const result = await extractFace(engine, crop, options);
      assert.equal(result.outcome, 'face', file);
      if (result.outcome !== 'face') continue;
      assert.equal(result.face.padded, false);
      assert.equal(result.face.foundBy, 'blazeface');
      assert.equal(result.face.detector, 'blazeface');
      // Mapped back into the crop: centred in it, about as large (the face fills the frame).
      const { box } = result.face;
      const [centreX, centreY] = [box.x + box.width / 2, box.y + box.height / 2];
      assert.ok(
        centreX > 25 && centreX < 55 && centreY > 25 && centreY < 55,
        `centre ${centreX}, ${centreY}`,
      );
      assert.ok(box.width > 60 && box.width < 130, `side ${box.width}`);
    }
  });

  it('landmarks a face that fills the photo as it does with a wide border around it', async () => {
    // The seed's crops (160×160, the face edge to edge): BlazeFace's own box for such a face is off
    // (too small or beside it), so its landmarks were too; the second pass at BlazeFace's scale fixes
    // that. The reference is the same photo centred in a black border as wide as the photo.
    const seed = path.join(datasets, 'seed-gray-faces');
    const photos = fs
      .readdirSync(seed)
      .sort()
      .slice(0, 4)
      .flatMap((person) =>
        fs
          .readdirSync(path.join(seed, person))
          .sort()
          .slice(0, 2)
          .map((file) => path.join(seed, person, file)),
      );
    const detect = { detector: 'blazeface' as const, minConfidence: options.minConfidence };
    const eyes = (landmarks: [number, number][]) =>
      [landmarks.slice(36, 42), landmarks.slice(42, 48)].map((eye) => [
        eye.reduce((sum, [x]) => sum + x, 0) / eye.length,
        eye.reduce((sum, [, y]) => sum + y, 0) / eye.length,
      ]) as [[number, number], [number, number]];
    for (const file of photos) {
      const tight = await decodeToRgb(fs.readFileSync(file), options.maxPixels);
      const border = tight.width;
      const wide = await decodeToRgb(
        await sharp(fs.readFileSync(file))
          .extend({ top: border, bottom: border, left: border, right: border, background: '#000' })
          .png()
          .toBuffer(),
        options.maxPixels,
      );
      const [inTight] = await detectFaces(engine, tight, detect);
      const [inWide] = await detectFaces(engine, wide, detect);
      assert.ok(inTight !== undefined && inWide !== undefined, `${file}: a face in both`);
      const [tightLeft, tightRight] = eyes(inTight.landmarks);
      const [wideLeft, wideRight] = eyes(inWide.landmarks);
      const eyeDistance = Math.hypot(wideRight[0] - wideLeft[0], wideRight[1] - wideLeft[1]);
      const shift = (point: [number, number], other: [number, number]) =>
        Math.hypot(point[0] + border - other[0], point[1] + border - other[1]) / eyeDistance;
      const worst = Math.max(shift(tightLeft, wideLeft), shift(tightRight, wideRight));
      assert.ok(worst < 0.15, `${file}: eyes ${(worst * 100).toFixed(0)}% of their distance apart`);
    }
  });

  it('chooses the large central face among several', async () => {
    const [central, left, right] = firstPhotos(3) as [string, string, string];
    const small = (file: string) => sharp(fs.readFileSync(file)).resize(130, 130).toBuffer();
    // 700×400: one person large in the middle, two smaller ones near the edges.
    const group = await sharp({ create: { width: 700, height: 400, channels: 3, background: '#808080' } })
      .composite([
        { input: await small(left), left: 10, top: 20 },
        { input: fs.readFileSync(central), left: 225, top: 75 },
        { input: await small(right), left: 560, top: 250 },
      ])
      .jpeg()
      .toBuffer();
    const result = await extractFace(engine, group, options);
    assert.equal(result.outcome, 'face');
    if (result.outcome !== 'face') return;
    assert.ok(result.face.faceCount >= 3, `${result.face.faceCount} faces found`);
    const centreX = result.face.box.x + result.face.box.width / 2;
    const centreY = result.face.box.y + result.face.box.height / 2;
    assert.ok(centreX > 225 && centreX < 475 && centreY > 75 && centreY < 325, 'the middle photo’s face');
    // The same person as extracted alone (the descriptor of the central photo).
    const alone = await extractFace(engine, fs.readFileSync(central), options);
    assert.equal(alone.outcome, 'face');
    if (alone.outcome !== 'face') return;
    const distance = Math.hypot(
      ...result.face.descriptor.map((value, index) => value - (alone.face.descriptor[index] ?? 0)),
    );
    assert.ok(distance < 0.4, `descriptor distance to the photo alone: ${distance.toFixed(3)}`);
  });

  it('describes boxes that reach out of the photo (clipped) and drops those outside it, without a crash', async () => {
    const photo = await decodeToRgb(fs.readFileSync(firstPhotos(1)[0] ?? ''), options.maxPixels);
    const tensor = engine.tf.tensor3d(photo.data, [photo.height, photo.width, 3], 'int32');
    try {
      // face-api wants relative boxes inside the photo; a bad box must not reach its task chain, where
      // a rejection is never handed on (it would end the thread instead of failing one photo).
      const described = await describeFaces(engine, tensor as never, [
        { box: { x: 60, y: 60, width: 130, height: 130 }, score: 0.9 },
        { box: { x: -40, y: -40, width: 200, height: 200 }, score: 0.9 },
        { box: { x: 200, y: 200, width: 400, height: 400 }, score: 0.9 },
        { box: { x: 300, y: 20, width: 50, height: 50 }, score: 0.9 },
        { box: { x: 10, y: 10, width: 0, height: 30 }, score: 0.9 },
        { box: { x: Number.NaN, y: 10, width: 30, height: 30 }, score: 0.9 },
      ]);
      assert.equal(described.length, 3, 'the last three have nothing inside the photo');
      for (const face of described) {
        assert.equal(face.descriptor.length, 128);
        assert.ok(face.box.x >= 0 && face.box.y >= 0 && face.box.x + face.box.width <= 250.001);
      }
    } finally {
      tensor.dispose();
    }
  });

  it('leaves no tensor behind over 100 photos (plain, padded and face-less)', async () => {
    const photos: Buffer[] = firstPhotos(90).map((file) => fs.readFileSync(file));
    for (const file of firstPhotos(8)) photos.push(await tightCrop(file));
    const wall = Buffer.alloc(120 * 120 * 3);
    for (let index = 0; index < wall.length; index++) wall[index] = (index * 7) % 256;
    const noFace = await sharp(wall, { raw: { width: 120, height: 120, channels: 3 } })
      .png()
      .toBuffer();
    photos.push(noFace, noFace);
    assert.equal(photos.length, 100);
    // Warm-up: every detector the cascade uses is loaded (its weights are tensors too).
    assert.equal((await extractFace(engine, noFace, options)).outcome, 'no-face');
    const before = engine.tf.memory().numTensors;
    let faces = 0;
    for (const photo of photos) if ((await extractFace(engine, photo, options)).outcome === 'face') faces++;
    assert.equal(engine.tf.memory().numTensors, before, 'tensors after 100 photos');
    assert.ok(faces >= 97, `${faces} of 98 faces found`);
  });
});
