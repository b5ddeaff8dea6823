import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type RgbPixels, regionMap, sampleToNchw } from './onnx-tensors.js';
import { applySimilarity, fitSimilarity, inverseAffine } from './similarity-warp.js';

function photo(
  width: number,
  height: number,
  pixel: (x: number, y: number) => [number, number, number],
): RgbPixels {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 3);
  return { data, width, height };
}

const raw = { colour: 'rgb' as const, normalisation: { mean: [0], std: [1] } };

describe('net inputs from photo pixels', () => {
  it('copies pixels unchanged through the identity map, channel planes in NCHW order', () => {
    const image = photo(4, 3, (x, y) => [x * 10, y * 20, 7]);
    const input = sampleToNchw(
      image,
      regionMap({ x: 0, y: 0, width: 4, height: 3 }, 4, 3),
      4,
      3,
      raw,
      'edge',
    );
    assert.equal(input.length, 36);
    assert.equal(input[2 * 4 + 3], 30); // R plane, pixel (3, 2)
    assert.equal(input[12 + 2 * 4 + 3], 40); // G plane
    assert.equal(input[24 + 5], 7); // B plane
  });

  it('normalises per channel, swaps to BGR and weighs grey as OpenCV does', () => {
    const image = photo(2, 2, () => [255, 127, 0]);
    const map = regionMap({ x: 0, y: 0, width: 2, height: 2 }, 2, 2);
    const rgb = sampleToNchw(
      image,
      map,
      2,
      2,
      { colour: 'rgb', normalisation: { mean: [127], std: [128] } },
      'edge',
    );
    assert.equal(rgb[0], 1);
    assert.equal(rgb[4], 0);
    assert.equal(rgb[8], -127 / 128);
    const bgr = sampleToNchw(
      image,
      map,
      2,
      2,
      { colour: 'bgr', normalisation: { mean: [1, 2, 3], std: [1, 1, 2] } },
      'edge',
    );
    assert.deepEqual([bgr[0], bgr[4], bgr[8]], [-1, 125, 126]);
    const grey = sampleToNchw(
      image,
      map,
      2,
      2,
      { colour: 'grey', normalisation: { mean: [0], std: [256] } },
      'edge',
    );
    assert.equal(grey.length, 4);
    assert.ok(Math.abs((grey[0] ?? 0) - (0.299 * 255 + 0.587 * 127) / 256) < 1e-6);
  });

  it('halves a photo by averaging pixel pairs (pixel centres to pixel centres)', () => {
    const image = photo(4, 2, (x) => [Math.min(x * 100, 255), 0, 0]);
    const input = sampleToNchw(
      image,
      regionMap({ x: 0, y: 0, width: 4, height: 2 }, 2, 1),
      2,
      1,
      raw,
      'edge',
    );
    assert.equal(input[0], 50);
    assert.equal(input[1], (200 + 255) / 2);
  });

  it('fills outside the photo with its edge or with black', () => {
    const image = photo(2, 2, () => [200, 200, 200]);
    const outside = regionMap({ x: -10, y: -10, width: 2, height: 2 }, 2, 2);
    assert.equal(sampleToNchw(image, outside, 2, 2, raw, 'edge')[0], 200);
    assert.equal(sampleToNchw(image, outside, 2, 2, raw, 'zero')[0], 0);
  });

  it('warps a bright spot of the photo to where the similarity sends it', () => {
    // A 3 × 3 white square centred at (60, 40) in a black 100 × 80 photo.
    const image = photo(100, 80, (x, y) =>
      Math.abs(x - 60) <= 1 && Math.abs(y - 40) <= 1 ? [255, 255, 255] : [0, 0, 0],
    );
    const photoPoints: [number, number][] = [
      [50, 30],
      [70, 30],
      [60, 40],
      [52, 52],
      [68, 52],
    ];
    const templatePoints: [number, number][] = [
      [20, 20],
      [60, 20],
      [40, 40],
      [24, 64],
      [56, 64],
    ];
    const transform = fitSimilarity(photoPoints, templatePoints);
    const [u, v] = applySimilarity(transform, [60, 40]);
    assert.deepEqual([Math.round(u), Math.round(v)], [40, 40]);
    const input = sampleToNchw(image, inverseAffine(transform), 112, 112, raw, 'zero');
    assert.equal(input[40 * 112 + 40], 255, 'the spot lands at its mapped pixel');
    assert.equal(input[10 * 112 + 10], 0);
  });
});
