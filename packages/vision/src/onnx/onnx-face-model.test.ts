// The ONNX engine end to end on models the test writes itself (tiny-onnx-model.ts), run by the real
// onnxruntime-node: detection decoding, landmarks, the 5-point warp and the recognition input.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { OnnxModelError, readOnnxModelFolder } from '@faceshot/core/engines/onnx/onnx-manifest';
import { OnnxFaceModel } from './onnx-face-model.js';
import type { RgbPixels } from './onnx-tensors.js';
import {
  TINY_CANDIDATES,
  writeTinyOnnxModel,
  writeTinyRetinaFaceModel,
  writeTinyScrfdModel,
} from './tiny-onnx-model.js';

const scratch = await mkdtemp(path.join(tmpdir(), 'faceshot-onnx-engine-'));
after(() => rm(scratch, { recursive: true, force: true }));

/** A grey photo with each face box of the tiny detector filled with its own colour. */
function photoWithFaces(width: number, height: number, colours: [number, number, number][]): RgbPixels {
  const data = new Uint8Array(width * height * 3).fill(90);
  TINY_CANDIDATES.slice(0, colours.length).forEach((candidate, index) => {
    if (index === 1) return; // the suppressed duplicate
    const [x1, y1, x2, y2] = candidate.box;
    const colour = colours[index] ?? [0, 0, 0];
    // The square the engine reads (side = height, same centre), a little wider so the warp stays inside.
    const side = (y2 - y1) * height;
    const centre = ((x1 + x2) / 2) * width;
    for (let y = Math.floor(y1 * height) - 2; y < Math.ceil(y2 * height) + 2; y++)
      for (let x = Math.floor(centre - side / 2) - 2; x < Math.ceil(centre + side / 2) + 2; x++)
        if (x >= 0 && y >= 0 && x < width && y < height) data.set(colour, (y * width + x) * 3);
  });
  return { data, width, height };
}

describe('the ONNX face engine on a generated model', () => {
  it('finds the faces, places the landmarks and embeds each aligned face', async () => {
    const folder = await readOnnxModelFolder(await writeTinyOnnxModel(scratch, 'tiny'));
    const model = await OnnxFaceModel.load(folder);
    try {
      const image = photoWithFaces(400, 300, [
        [200, 40, 40],
        [0, 0, 0],
        [30, 60, 220],
      ]);
      const faces = await model.detectAndDescribe(image);
      assert.equal(faces.length, 2, 'the overlapping box is suppressed and the weak one dropped');
      const [first, second] = faces;
      assert.ok(first && second);
      assert.ok(Math.abs(first.score - 0.95) < 1e-6);
      // First box: x 40-160, y 60-210 → squared by height (150) around centre x 100: x 25-175.
      assert.ok(Math.abs(first.box.x - 25) < 1e-3 && Math.abs(first.box.width - 150) < 1e-3);
      assert.equal(first.landmarks.length, 68);
      // Nose tip (30) is the template's nose scaled to the box.
      const nose = first.landmarks[30] ?? [0, 0];
      assert.ok(Math.abs(nose[0] - (25 + (56.0252 / 112) * 150)) < 1e-3);
      assert.ok(Math.abs(nose[1] - (60 + (71.7366 / 112) * 150)) < 1e-3);
      // Recognition input: the aligned crop (the box itself) in [0, 1]; its mean colour per channel.
      const expect = (actual: number[], rgb: number[]) => {
        for (const [index, value] of actual.entries())
          assert.ok(Math.abs(value - (rgb[index] ?? 0) / 255) < 0.01, `${actual} vs ${rgb}`);
      };
      expect(first.descriptor, [200, 40, 40]);
      expect(second.descriptor, [30, 60, 220]);
    } finally {
      await model.release();
    }
  });

  it('L2-normalises embeddings of a cosine model', async () => {
    const model = await OnnxFaceModel.load(
      await readOnnxModelFolder(await writeTinyOnnxModel(scratch, 'tiny-cosine', 'cosine')),
    );
    try {
      const faces = await model.detectAndDescribe(photoWithFaces(200, 200, [[120, 80, 40]]));
      const descriptor = faces[0]?.descriptor ?? [];
      assert.ok(Math.abs(Math.hypot(...descriptor) - 1) < 1e-5);
      assert.ok(Math.abs((descriptor[0] ?? 0) / (descriptor[2] ?? 1) - 3) < 0.05);
    } finally {
      await model.release();
    }
  });

  it("aligns with an SCRFD detector's own keypoints when there is no landmark net (letterboxed input)", async () => {
    const model = await OnnxFaceModel.load(
      await readOnnxModelFolder(await writeTinyScrfdModel(scratch, 'scrfd')),
    );
    try {
      // 160 × 320 letterboxed into 32 × 32: 10 photo pixels an input pixel, the photo in the left half.
      const data = new Uint8Array(160 * 320 * 3);
      for (let offset = 0; offset < data.length; offset += 3) data.set([60, 160, 90], offset);
      const faces = await model.detectAndDescribe({ data, width: 160, height: 320 });
      assert.equal(faces.length, 1, 'the near duplicate is suppressed and the weak face dropped');
      const [face] = faces;
      assert.ok(face);
      // Input box x 2-14, y 2-16 → photo x 20-140, y 20-160 (not squared: no landmark net reads it).
      for (const [actual, expected] of [
        [face.box.x, 20],
        [face.box.y, 20],
        [face.box.width, 120],
        [face.box.height, 140],
      ])
        assert.ok(Math.abs((actual ?? 0) - (expected ?? 0)) < 1e-3, JSON.stringify(face.box));
      assert.equal(face.landmarks.length, 5, "the detector's five keypoints");
      const [leftEye] = face.landmarks;
      assert.ok(Math.abs((leftEye?.[0] ?? 0) - (20 + (38.2946 / 112) * 120)) < 1e-3);
      for (const [index, value] of face.descriptor.entries())
        assert.ok(Math.abs(value - ([60, 160, 90][index] ?? 0) / 255) < 0.01, String(face.descriptor));
    } finally {
      await model.release();
    }
  });

  it('decodes a RetinaFace-layout detector (priors, variances, keypoints) on a stretched input', async () => {
    const model = await OnnxFaceModel.load(
      await readOnnxModelFolder(await writeTinyRetinaFaceModel(scratch, 'retina')),
    );
    try {
      // 160 × 120 stretched to 32 × 32: 5 photo pixels an input pixel across, 3.75 down.
      const data = new Uint8Array(160 * 120 * 3);
      for (let offset = 0; offset < data.length; offset += 3) data.set([200, 120, 40], offset);
      const faces = await model.detectAndDescribe({ data, width: 160, height: 120 });
      assert.equal(faces.length, 1, 'the other priors are under the floor');
      const [face] = faces;
      assert.ok(face);
      assert.ok(Math.abs(face.score - 0.95) < 1e-6);
      // The bottom-right prior, input x, y 16-32 → photo x 80-160, y 60-120.
      for (const [actual, expected] of [
        [face.box.x, 80],
        [face.box.y, 60],
        [face.box.width, 80],
        [face.box.height, 60],
      ])
        assert.ok(Math.abs((actual ?? 0) - (expected ?? 0)) < 1e-3, JSON.stringify(face.box));
      assert.equal(face.landmarks.length, 5);
      const nose = face.landmarks[2] ?? [0, 0];
      assert.ok(Math.abs(nose[0] - (80 + (56.0252 / 112) * 80)) < 1e-2, String(nose));
      assert.ok(Math.abs(nose[1] - (60 + (71.7366 / 112) * 60)) < 1e-2, String(nose));
    } finally {
      await model.release();
    }
  });

  it('refuses a manifest that names tensors the nets do not have, and a file that is no ONNX model', async () => {
    const folderPath = await writeTinyOnnxModel(scratch, 'tiny-wrong');
    const folder = await readOnnxModelFolder(folderPath);
    const wrong = structuredClone(folder);
    wrong.manifest.recognition.output.name = 'embedding';
    await assert.rejects(
      OnnxFaceModel.load(wrong),
      /feature\.onnx has no output "embedding" \(it has output\)/,
    );
    await writeFile(path.join(folderPath, 'feature.onnx'), 'not a model');
    await assert.rejects(
      OnnxFaceModel.load(folder),
      (error: unknown) =>
        error instanceof OnnxModelError && /feature\.onnx does not load/.test(error.message),
    );
  });
});
