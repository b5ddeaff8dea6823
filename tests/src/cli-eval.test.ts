// `faceshot eval` as a user runs it: the CLI process on a small folder of lfw-dev people (symbolic
// links: the photos stay where they are), with a temporary storage that holds one trained model.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import type { EvalReport } from '@faceshot/cli/eval-report';
import { FsObjectStore } from '@faceshot/core/storage/fs-object-store';
import { storageKeys } from '@faceshot/core/storage/keys';
import { layersModelFiles, modelArtifacts } from '@faceshot/trainer/siamese/model-artifacts';
import { writeTinyOnnxModel } from '@faceshot/vision/onnx/tiny-onnx-model';
import { loadTrainingTensorflow } from '@faceshot/vision/training-tensorflow';
import sharp from 'sharp';
import { identitiesOf, photosOf } from './support/datasets.js';
import { runCli } from './support/run-command.js';

const PEOPLE = 6;
const PHOTOS_EACH = 4;
const IDENTITY_MODEL = 'model_identityhead';

/**
 * A "transfer" model as the trainer stores it whose head is the identity (128 → 128, no bias): its
 * embeddings are face-api's descriptors, so it must score exactly like faceapi-baseline.
 */
async function storeIdentityModel(store: FsObjectStore): Promise<void> {
  const { tf } = await loadTrainingTensorflow();
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [128], units: 128, useBias: false, kernelInitializer: 'identity' }),
    ],
  });
  const { modelJson, weightsBin } = layersModelFiles(await modelArtifacts(tf, model));
  model.dispose();
  await store.put(storageKeys.modelFile(IDENTITY_MODEL, 'model.json'), modelJson);
  await store.put(storageKeys.modelFile(IDENTITY_MODEL, 'weights.bin'), weightsBin);
  const card = { modelId: IDENTITY_MODEL, architecture: 'transfer', threshold: 0.6 };
  await store.put(storageKeys.modelFile(IDENTITY_MODEL, 'card.json'), Buffer.from(JSON.stringify(card)));
}

let work: string;
let faces: string;
before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'faceshot-eval-'));
  await storeIdentityModel(new FsObjectStore(path.join(work, 'objects')));
  faces = path.join(work, 'faces');
  // People spread over the alphabet (not six neighbours), each with enough photos.
  const eligible = identitiesOf('lfw-dev').filter(
    (person) => photosOf('lfw-dev', person).length >= PHOTOS_EACH,
  );
  const step = Math.floor(eligible.length / PEOPLE);
  for (let index = 0; index < PEOPLE; index++) {
    const person = eligible[index * step] as string;
    fs.mkdirSync(path.join(faces, person), { recursive: true });
    for (const photo of photosOf('lfw-dev', person).slice(0, PHOTOS_EACH))
      fs.symlinkSync(photo, path.join(faces, person, path.basename(photo)));
  }
});
after(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

function runEval(args: string[], env: Record<string, string> = {}) {
  return runCli(['eval', ...args], {
    cwd: work,
    env: { STORAGE_DIR: path.join(work, 'objects'), EXTRACT_THREADS: '2', ...env },
  });
}

const inUnitRange = (value: number | null | undefined) =>
  typeof value === 'number' && value >= 0 && value <= 1;

it('scores faceapi-baseline beside a trained model on two detectors: the table, every metric in range in the JSON, a PNG ROC plot', async () => {
  const out = path.join(work, 'reports', 'eval.json');
  const roc = path.join(work, 'reports', 'roc.png');
  const { code, stdout, stderr } = await runEval([
    '--model',
    'faceapi-baseline',
    '--model',
    IDENTITY_MODEL,
    '--detector',
    'blazeface',
    '--detector',
    'ssd',
    '--dir',
    faces,
    '--out',
    out,
    '--roc',
    roc,
  ]);
  assert.equal(code, 0, stderr);
  const total = PEOPLE * PHOTOS_EACH;
  assert.equal(
    stderr.match(new RegExp(`${total}/${total} \\(100%\\)`, 'g'))?.length,
    2,
    'progress on stderr, once per detector',
  );
  assert.match(
    stdout,
    /^\(b\) top-1, held-out photos\s+\d\.\d{3} \(12 of 6\)/m,
    'held-out photos of 6 people',
  );
  for (const row of [
    'face-detection rate',
    '\\(a\\) ROC AUC',
    'accuracy at threshold',
    'EER',
    '\\(a\\) one-shot 5-way',
    '\\(a\\) open-set TAR at FAR 1%',
    '\\(b\\) top-1, held-out photos',
  ])
    assert.match(stdout, new RegExp(`^${row}\\s+\\S`, 'm'), `table row "${row}"`);
  assert.match(
    stdout,
    new RegExp(
      `^\\s+faceapi-baseline · blazeface\\s+${IDENTITY_MODEL} · blazeface\\s+faceapi-baseline · ssd\\s+${IDENTITY_MODEL} · ssd$`,
      'm',
    ),
    'one column per model and detector',
  );

  const report = JSON.parse(fs.readFileSync(out, 'utf8')) as EvalReport;
  assert.equal(report.photos.total, total);
  assert.equal(report.photos.identities, PEOPLE);
  assert.deepEqual(
    report.detectors.map((run) => run.detector),
    ['blazeface', 'ssd'],
  );
  for (const run of report.detectors) assert.equal(run.withFace + run.noFace + run.unreadable, total);
  assert.equal(report.models.length, 4);
  const [model, trained, ssdModel] = report.models;
  assert.ok(model && trained && ssdModel);
  assert.deepEqual(
    report.models.map((entry) => [entry.model, entry.detector]),
    [
      ['faceapi-baseline', 'blazeface'],
      [IDENTITY_MODEL, 'blazeface'],
      ['faceapi-baseline', 'ssd'],
      [IDENTITY_MODEL, 'ssd'],
    ],
  );
  assert.ok(
    ssdModel.faceDetectionRate !== null && ssdModel.faceDetectionRate >= 0.9,
    `ssd rate ${ssdModel.faceDetectionRate}`,
  );
  assert.ok((ssdModel.verification.rocAuc ?? 0) > 0.9, `ssd AUC ${ssdModel.verification.rocAuc}`);
  assert.equal(model.model, 'faceapi-baseline');
  assert.equal(model.threshold, 0.6);
  assert.ok(
    model.faceDetectionRate !== null && model.faceDetectionRate >= 0.9,
    `rate ${model.faceDetectionRate}`,
  );
  const { verification } = model;
  assert.ok(verification.samePairs > 0 && verification.samePairs <= PEOPLE * 6); // C(4, 2) = 6 per person
  assert.equal(verification.differentPairs, verification.samePairs);
  assert.ok(verification.rocAuc !== null && verification.rocAuc > 0.9, `AUC ${verification.rocAuc}`);
  assert.ok(inUnitRange(verification.accuracyAtThreshold), `accuracy ${verification.accuracyAtThreshold}`);
  assert.ok((verification.accuracyAtThreshold ?? 0) > 0.8);
  assert.ok(inUnitRange(verification.equalErrorRate) && (verification.equalErrorRate ?? 1) < 0.2);
  const byWays = new Map(model.identification.map((entry) => [String(entry.asked), entry]));
  assert.ok(inUnitRange(byWays.get('5')?.accuracy) && (byWays.get('5')?.accuracy ?? 0) > 0.6);
  assert.equal(byWays.get('5')?.trials, 1000);
  assert.equal(byWays.get('20')?.accuracy, null, 'six people cannot make a 20-way trial');
  assert.equal(byWays.get('all')?.ways, report.detectors[0]?.identitiesWithTwoFaces);
  assert.ok(inUnitRange(byWays.get('all')?.accuracy));
  const first = model.roc[0];
  const last = model.roc[model.roc.length - 1];
  assert.deepEqual([first?.falsePositiveRate, first?.truePositiveRate], [0, 0]);
  assert.deepEqual([last?.falsePositiveRate, last?.truePositiveRate], [1, 1]);
  for (let index = 1; index < model.roc.length; index++) {
    const [before_, here] = [model.roc[index - 1], model.roc[index]];
    assert.ok(
      (here?.falsePositiveRate ?? 0) >= (before_?.falsePositiveRate ?? 0),
      'the curve only moves right',
    );
    assert.ok((here?.truePositiveRate ?? 0) >= (before_?.truePositiveRate ?? 0), 'and up');
  }

  // The same faces and pairs for every model: the identity head scores exactly like the baseline.
  assert.equal(trained.model, IDENTITY_MODEL);
  assert.equal(trained.architecture, 'transfer');
  assert.deepEqual(trained.verification, model.verification);
  assert.deepEqual(trained.identification, model.identification);
  // Protocol (b): 2 of each person's 4 photos held out (at most half), the other 2 the gallery.
  const heldOut = model.protocols.heldOutPhotos;
  assert.ok(heldOut !== null);
  assert.equal(heldOut.probes + heldOut.missed, PEOPLE * 2);
  assert.equal(heldOut.source, 'seeded choice');
  assert.ok(inUnitRange(heldOut.top1) && (heldOut.top1 ?? 0) > 0.7, `held-out top-1 ${heldOut.top1}`);
  assert.ok(inUnitRange(model.protocols.unseenPeople.tarAtFar));
  assert.deepEqual(trained.protocols, model.protocols);

  const png = await sharp(fs.readFileSync(roc)).metadata();
  assert.equal(png.format, 'png');
  assert.ok((png.width ?? 0) >= 400 && (png.height ?? 0) >= 400);
});

it('an unknown model: exit 2 and one line naming it, before any photo is read', async () => {
  const { code, stdout, stderr } = await runEval(['--model', 'model_missing', '--dir', faces]);
  assert.equal(code, 2);
  assert.equal(stdout, '');
  assert.match(stderr, /^faceshot eval: unknown model "model_missing"/);
  assert.equal(stderr.trim().split('\n').length, 1, `one line, no stack trace: ${stderr}`);
});

it('an unknown detector: exit 2 and one line naming the known ones', async () => {
  const { code, stderr } = await runEval(['--detector', 'mtcnn', '--dir', faces]);
  assert.equal(code, 2);
  assert.match(stderr, /^faceshot eval: --detector must be one of blazeface, ssd, tiny \(got "mtcnn"\)\n$/);
});

it('no --dir, or a folder without identity folders: exit 2 and one line', async () => {
  const missing = await runEval(['--model', 'faceapi-baseline']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^faceshot eval: --dir .* is required\n$/);

  const flat = path.join(work, 'flat');
  fs.mkdirSync(flat);
  fs.symlinkSync(
    photosOf('lfw-dev', identitiesOf('lfw-dev')[0] as string)[0] as string,
    path.join(flat, 'a.jpg'),
  );
  const noIdentities = await runEval(['--dir', flat]);
  assert.equal(noIdentities.code, 2);
  assert.match(noIdentities.stderr, /^faceshot eval: --dir .*flat: no photos in identity folders/);
  assert.equal(noIdentities.stderr.trim().split('\n').length, 1);
});

it('scores an installed ONNX model on the faces its own nets find (--engine onnx-<name>), in its own distance', async () => {
  // A generated model whose embedding is a face's mean colour, on "people" of one hue each.
  const models = path.join(work, 'onnx-models');
  await writeTinyOnnxModel(models, 'tiny', 'cosine');
  const colours = path.join(work, 'colours');
  const hues: Record<string, [number, number, number]> = {
    red: [200, 40, 40],
    green: [40, 190, 50],
    blue: [40, 60, 210],
    magenta: [190, 30, 170],
  };
  for (const [person, [r, g, b]] of Object.entries(hues)) {
    fs.mkdirSync(path.join(colours, person), { recursive: true });
    for (let shade = 0; shade < 3; shade++) {
      const background = { r: r + 8 * shade, g: g - 6 * shade, b: b + 4 * shade };
      const png = await sharp({ create: { width: 120, height: 100, channels: 3, background } })
        .png()
        .toBuffer();
      fs.writeFileSync(path.join(colours, person, `${shade}.png`), png);
    }
  }
  const out = path.join(work, 'reports', 'onnx.json');
  const { code, stdout, stderr } = await runEval(['--engine', 'onnx-tiny', '--dir', colours, '--out', out], {
    ONNX_MODELS_DIR: models,
  });
  assert.equal(code, 0, stderr);
  assert.match(stdout, /onnx-tiny/);
  const report = JSON.parse(fs.readFileSync(out, 'utf8')) as EvalReport;
  assert.deepEqual(
    report.detectors.map((run) => [run.detector, run.withFace]),
    [['onnx-tiny', 12]],
  );
  const [model] = report.models;
  assert.equal(report.models.length, 1, 'no face-api model was asked for');
  assert.equal(model?.model, 'onnx-tiny');
  assert.equal(model?.verification.rocAuc, 1);
  // Cosine distances of same-hue shades sit under the model's 0.1, other hues far above it.
  assert.equal(model?.verification.accuracyAtThreshold, 1);

  const unknown = await runEval(['--engine', 'onnx-absent', '--dir', colours], { ONNX_MODELS_DIR: models });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^faceshot eval: unknown engine "onnx-absent": no folder "absent" in /);
  const wrong = await runEval(['--engine', 'dlib', '--dir', colours]);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /^faceshot eval: --engine must be faceapi or onnx-<name> \(got "dlib"\)\n$/);
});
