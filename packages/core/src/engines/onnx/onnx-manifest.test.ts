import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { OnnxModelError, onnxModelName, parseOnnxManifest, readOnnxModelFolder } from './onnx-manifest.js';

const EXAMPLE_MANIFEST = {
  description: 'test',
  detector: {
    file: 'detect.onnx',
    input: {
      name: 'input',
      width: 320,
      height: 240,
      colour: 'rgb',
      normalisation: { mean: [127], std: [128] },
    },
    output: { layout: 'corner-boxes', scores: 'scores', boxes: 'boxes', faceColumn: 1 },
    minScore: 0.65,
    nmsIou: 0.4,
  },
  landmarks: {
    file: 'landmarks.onnx',
    input: { name: 'input', size: 64, colour: 'grey', normalisation: { mean: [0], std: [256] } },
    output: { name: 'output', points: 68 },
  },
  recognition: {
    file: 'feature.onnx',
    input: {
      name: 'input',
      size: 112,
      colour: 'rgb',
      normalisation: { mean: [127.5, 127.5, 127.5], std: [128] },
    },
    output: { name: 'output', size: 512 },
  },
  alignment: 'arcface-112-similarity',
  distance: 'cosine',
  threshold: 0.6,
};

const scratch = await mkdtemp(path.join(tmpdir(), 'faceshot-onnx-manifest-'));
after(() => rm(scratch, { recursive: true, force: true }));

describe('ONNX model manifests', () => {
  it('accepts a complete manifest', () => {
    const manifest = parseOnnxManifest(EXAMPLE_MANIFEST, 'manifest');
    assert.equal(manifest.recognition.output.size, 512);
  });

  it('takes an SCRFD detector whose keypoints replace the landmark net, and refuses one without', () => {
    const scrfd = (keypoints: boolean) => {
      const { landmarks: _landmarks, ...rest } = structuredClone(EXAMPLE_MANIFEST);
      return {
        ...rest,
        detector: {
          ...rest.detector,
          input: { ...rest.detector.input, width: 640, height: 640, resize: 'letterbox' },
          output: {
            layout: 'scrfd',
            anchorsPerPlace: 2,
            strides: [8, 16, 32].map((stride, index) => ({
              stride,
              scores: `${448 + index}`,
              boxes: `${451 + index}`,
              ...(keypoints ? { keypoints: `${454 + index}` } : {}),
            })),
          },
        },
      };
    };
    const manifest = parseOnnxManifest(scrfd(true), 'manifest');
    assert.equal(manifest.landmarks, undefined);
    assert.equal(manifest.detector.output.layout, 'scrfd');
    assert.throws(
      () => parseOnnxManifest(scrfd(false), 'manifest'),
      (error: unknown) =>
        error instanceof OnnxModelError &&
        /without a landmarks net the detector must give five keypoints/.test(error.message),
    );
  });

  it('names the first bad field', () => {
    const bad = (change: (copy: typeof EXAMPLE_MANIFEST) => unknown) => {
      const copy = structuredClone(EXAMPLE_MANIFEST);
      change(copy);
      return () => parseOnnxManifest(copy, 'manifest');
    };
    assert.throws(
      bad((m) => Object.assign(m, { distance: 'manhattan' })),
      /distance/,
    );
    assert.throws(
      bad((m) => Object.assign(m, { alignment: '3-point-affine' })),
      /alignment/,
    );
    assert.throws(
      bad((m) => Object.assign(m.recognition.input, { size: 224 })),
      /recognition\.input\.size/,
    );
    assert.throws(
      bad((m) => Object.assign(m.detector, { file: '../etc/passwd.onnx' })),
      /detector\.file/,
    );
    assert.throws(
      bad((m) => Object.assign(m, { extra: 1 })),
      OnnxModelError,
    );
    assert.throws(
      bad((m) => Object.assign(m.recognition.input.normalisation, { mean: [1, 2] })),
      /recognition\.input\.normalisation\.mean has 2 values; give 1 or 3/,
    );
    assert.throws(
      bad((m) => Object.assign(m.landmarks.input.normalisation, { std: [1, 1, 1] })),
      /landmarks\.input\.normalisation\.std has 3 values; give 1 or 1/,
    );
  });

  it('reads a folder and names what is missing', async () => {
    const folder = path.join(scratch, 'tiny-model');
    await mkdir(folder);
    await assert.rejects(readOnnxModelFolder(folder), /cannot read .*manifest\.json/);
    await writeFile(path.join(folder, 'manifest.json'), JSON.stringify(EXAMPLE_MANIFEST));
    await assert.rejects(readOnnxModelFolder(folder), /detect\.onnx is missing/);
    for (const file of ['detect.onnx', 'landmarks.onnx', 'feature.onnx'])
      await writeFile(path.join(folder, file), '');
    const read = await readOnnxModelFolder(folder);
    assert.equal(read.id, 'onnx-tiny-model');
    const badName = path.join(scratch, 'bad.name');
    await mkdir(badName);
    await assert.rejects(readOnnxModelFolder(badName), /letters, digits/);
  });

  it('tells onnx model ids from others', () => {
    assert.equal(onnxModelName('onnx-mobilefacenet'), 'mobilefacenet');
    assert.equal(onnxModelName('faceapi-baseline'), undefined);
    assert.equal(onnxModelName('onnx-'), undefined);
  });
});
