// ONNX models from the object store: `faceshot onnx-models push` checks a folder and stores it, and a
// running API and predictor with ONNX_MODELS_FROM_STORE pick it up without a restart or a shared
// folder, then enrol and identify with it. A folder that is not a model is refused by the command.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { predictorStages } from '@faceshot/predictor/stages';
import { writeTinyOnnxModel } from '@faceshot/vision/onnx/tiny-onnx-model';
import sharp from 'sharp';
import { type ApiStack, startApiStack } from './support/api-stack.js';
import { getJson } from './support/http.js';
import { pollUntil } from './support/poll.js';
import { runCli } from './support/run-command.js';

/** `faceshot onnx-models push <folder>` against the stack's storage folder. */
const push = (stack: ApiStack, folder: string) =>
  runCli(['onnx-models', 'push', folder], { env: { STORAGE_DIR: path.join(stack.root, 'objects') } });

const photo = (r: number, g: number, b: number) =>
  sharp({ create: { width: 200, height: 160, channels: 3, background: { r, g, b } } })
    .png()
    .toBuffer();

async function listedModels(stack: ApiStack): Promise<string[]> {
  const list = await getJson(`${stack.baseUrl}/v1/models`);
  return (list.body.models as { id: string }[]).map((model) => model.id);
}

describe('ONNX models pushed to the object store', () => {
  let stack: ApiStack;
  let work: string;

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'faceshot-onnx-push-'));
    stack = await startApiStack(
      'onnx-store',
      {
        PREDICT_THREADS: '1',
        ONNX_MODELS_FROM_STORE: 'true',
        ONNX_MODELS_SYNC_INTERVAL_MS: '1000',
        // Does not exist yet: the mirror creates it.
        ONNX_MODELS_DIR: path.join(work, 'mirror'),
      },
      { predictor: predictorStages },
    );
  });
  after(async () => {
    await stack?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('refuses a folder that is not a model, naming the problem', async () => {
    await mkdir(path.join(work, 'broken'));
    await writeFile(path.join(work, 'broken', 'manifest.json'), '{"distance": "manhattan"}');
    const result = await push(stack, path.join(work, 'broken'));
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /faceshot: invalid .*manifest\.json/);
  });

  it('is listed within the sync interval after a push, then enrols and identifies', async () => {
    assert.ok(!(await listedModels(stack)).includes('onnx-tiny'));
    const folder = await writeTinyOnnxModel(work, 'tiny', 'cosine');
    const pushed = await push(stack, folder);
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.match(
      pushed.stdout,
      /onnx-tiny \(onnx-tiny@[0-9a-f]{16}\): 4 objects stored under onnx-models\/tiny\//,
    );
    await pollUntil(
      async () => ((await listedModels(stack)).includes('onnx-tiny') ? true : undefined),
      15_000,
      'onnx-tiny to be listed after the mirror ran',
    );

    const enrol = new FormData();
    enrol.append('identity', 'Red');
    enrol.append('photo', new Blob([new Uint8Array(await photo(200, 40, 40))]), 'red.png');
    const enrolled = await fetch(`${stack.baseUrl}/v1/models/onnx-tiny/identities`, {
      method: 'POST',
      body: enrol,
    });
    assert.equal(enrolled.status, 201, await enrolled.clone().text());
    const query = new FormData();
    query.append('photo', new Blob([new Uint8Array(await photo(190, 45, 45))]), 'q.png');
    const answer = await fetch(`${stack.baseUrl}/v1/models/onnx-tiny/identify`, {
      method: 'POST',
      body: query,
    });
    const body = (await answer.json()) as { faces: { identity: string }[] };
    assert.equal(answer.status, 200, JSON.stringify(body));
    assert.equal(body.faces[0]?.identity, 'Red');
  });
});
