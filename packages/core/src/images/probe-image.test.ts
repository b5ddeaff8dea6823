import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { ImageRejectedError, probeImage } from './probe-image.js';

const datasets = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../../shared/datasets');

async function rejection(input: string | Buffer, maxPixels = 40_000_000): Promise<string> {
  try {
    await probeImage(input, maxPixels);
  } catch (error) {
    if (error instanceof ImageRejectedError) return error.reason;
    throw error;
  }
  return assert.fail('expected a rejection');
}

it('accepts the photo formats of the shared datasets', async () => {
  assert.deepEqual(await probeImage(path.join(datasets, 'orl-att-faces/s1/1.pgm'), 40_000_000), {
    format: 'pgm',
    extension: 'pgm',
    width: 92,
    height: 112,
  });
  const lfw = path.join(
    datasets,
    'lfw-dev/Abdullah_Gul',
    fs.readdirSync(path.join(datasets, 'lfw-dev/Abdullah_Gul'))[0] ?? '',
  );
  assert.deepEqual(await probeImage(lfw, 40_000_000), {
    format: 'jpeg',
    extension: 'jpg',
    width: 250,
    height: 250,
  });
});

it('rejects truncated, oversized and non-photo files with a reason', async () => {
  const jpeg = fs.readFileSync(
    path.join(
      datasets,
      'seed-gray-faces/iu',
      fs.readdirSync(path.join(datasets, 'seed-gray-faces/iu'))[0] ?? '',
    ),
  );
  assert.match(await rejection(jpeg.subarray(0, jpeg.length / 2)), /corrupt or truncated/);
  const pgm = fs.readFileSync(path.join(datasets, 'orl-att-faces/s1/1.pgm'));
  assert.match(await rejection(pgm.subarray(0, 4000)), /truncated: 3986 of 10304/);
  assert.match(await rejection(pgm, 92 * 112 - 1), /over the limit of 10303/);
  assert.match(await rejection(jpeg, 100), /over the limit of 100/);
  assert.match(await rejection(Buffer.from('<!DOCTYPE html><html></html>')), /HTML page/);
  assert.match(
    await rejection(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')),
    /SVG/,
  );
  assert.match(await rejection(Buffer.alloc(0)), /empty/);
  const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: 'red' } })
    .png()
    .toBuffer();
  png[20] = 0xff; // damage the header (the CRC no longer matches)
  assert.match(await rejection(png), /damaged PNG/);
});
