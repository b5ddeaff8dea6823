// The web page at / in real headless Chromium against an in-process stack (API + predictor, the
// built-in faceapi-baseline model): identify a photo and see its faces boxed and labelled, enrol a
// person through the page and see their name on another photo, browse datasets and model cards (ROC or
// loss curve as SVG), follow a pipeline live when the server has them, and the API key prompt.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type ComparedMetric,
  compareMetric,
  type MetricName,
  type ModelCard,
  type ProtocolName,
} from '@faceshot/core/contracts/model-card';
import { storageKeys } from '@faceshot/core/storage/keys';
import { extractorStages } from '@faceshot/extractor/stages';
import { predictorStages } from '@faceshot/predictor/stages';
import type { Browser, Locator, Page } from 'playwright-core';
import { type ApiStack, startApiStack } from './support/api-stack.js';
import {
  browserMissing,
  launchChromium,
  openPage,
  screenshotDirectory,
  type WatchedPage,
} from './support/browser.js';
import { datasetPath, identitiesOf, photosOf } from './support/datasets.js';
import { waitForJob } from './support/http.js';

const skip = browserMissing();
const WAIT = { timeout: 30_000 };
/** The screenshot people look at first (identify with a named face). */
const REPORT_SCREENSHOT = path.join(os.tmpdir(), 'faceshot-web-page.png');
let screenshots: Promise<string> | undefined;
/** Where a screenshot goes: one temp directory for the file, kept after the run (its path is printed). */
async function shot(name: string): Promise<string> {
  screenshots ??= screenshotDirectory('web-page').then((directory) => {
    console.log(`web page screenshots: ${directory}`);
    return directory;
  });
  return path.join(await screenshots, name);
}

async function identifyThroughPage(page: Page, photo: string): Promise<void> {
  await page.getByRole('link', { name: 'Identify' }).click();
  // Choosing the file runs the identification at once.
  await page.locator('#identify-photo').setInputFiles(photo);
  await page
    .locator('#identify-status')
    .filter({ hasText: /faces? ·/ })
    .waitFor(WAIT);
}

/**
 * Waits until every image matched shows a picture from a blob: URL (fetched by the page with the key).
 * Polled from here: the page's Content-Security-Policy forbids the string evaluation waitForFunction uses.
 */
async function blobImagesShown(images: Locator): Promise<void> {
  const deadline = Date.now() + WAIT.timeout;
  for (;;) {
    const shown = await images.evaluateAll((all) =>
      all.map((image) => {
        const img = image as unknown as { src: string; naturalWidth: number };
        return img.src.startsWith('blob:') && img.naturalWidth > 0;
      }),
    );
    if (shown.length > 0 && shown.every(Boolean)) return;
    assert.ok(Date.now() < deadline, `images not shown from blob: URLs: ${JSON.stringify(shown)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the web page (open mode)', { skip }, () => {
  let stack: ApiStack;
  let browser: Browser;
  let watched: WatchedPage;
  let page: Page;

  before(async () => {
    [stack, browser] = await Promise.all([
      startApiStack(
        'web-page',
        { PREDICT_THREADS: '1', EXTRACT_THREADS: '1' },
        { predictor: predictorStages, extractor: extractorStages },
      ),
      launchChromium(),
    ]);
    watched = await openPage(browser);
    page = watched.page;
  });
  after(async () => {
    await watched?.context.close();
    await browser?.close();
    await stack?.stop();
  });

  it('serves the page and its files publicly, with a content security policy and ETags', async () => {
    const html = await fetch(`${stack.baseUrl}/`);
    assert.equal(html.status, 200);
    assert.match(html.headers.get('content-type') ?? '', /^text\/html/);
    const policy = html.headers.get('content-security-policy') ?? '';
    assert.match(policy, /script-src 'self'/);
    assert.match(policy, /frame-ancestors 'none'/);
    assert.doesNotMatch(policy, /unsafe-inline/);
    assert.equal(html.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(html.headers.get('referrer-policy'), 'no-referrer');
    // The JSON API is not the page: none of its headers there.
    const health = await fetch(`${stack.baseUrl}/healthz`);
    assert.equal(health.headers.get('content-security-policy'), null);
    assert.match(await html.text(), /<script type="module" src="ui\/app.js">/);
    const script = await fetch(`${stack.baseUrl}/ui/app.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
    const etag = script.headers.get('etag') ?? '';
    const again = await fetch(`${stack.baseUrl}/ui/app.js`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    const missing = await fetch(`${stack.baseUrl}/ui/nothing.js`);
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const odd = await fetch(`${stack.baseUrl}/ui/..%2Fpackage.json`);
    assert.ok(odd.status === 400 || odd.status === 404, `status ${odd.status}`);
  });

  it('(a) identifies a photo with faceapi-baseline: each face boxed and labelled', async () => {
    await page.goto(`${stack.baseUrl}/`);
    // Open mode: the models load without a key, so no key prompt.
    await page.locator('#models-list li, #model-select option').first().waitFor({ state: 'attached' });
    await identifyThroughPage(page, datasetPath('seed-test-photos', 'unlabelled', 'test-image-03.jpg'));
    assert.equal(await page.locator('#key-dialog').isVisible(), false, 'no key prompt in open mode');
    const labels = page.locator('#identify-boxes .face-box .face-name');
    assert.ok((await labels.count()) >= 1, 'at least one face boxed');
    // Nobody is enrolled yet: every face is "unknown", and the list below says the same.
    assert.equal(await labels.first().textContent(), 'unknown');
    assert.equal(await page.locator('#identify-faces-list li').count(), await labels.count());
    const box = await page.locator('#identify-boxes .face-box').first().boundingBox();
    const photo = await page.locator('#identify-image').boundingBox();
    assert.ok(
      box &&
        photo &&
        box.width > 10 &&
        box.x >= photo.x - 1 &&
        box.x + box.width <= photo.x + photo.width + 1,
    );
    await page.screenshot({ path: await shot('a-identify-unknown.png'), fullPage: true });
  });

  it('(b) enrols a person through the page, shows them in the gallery, then names them on another photo', async () => {
    const person =
      identitiesOf('lfw-dev').find((identity) => photosOf('lfw-dev', identity).length >= 2) ?? '';
    const name = person.replaceAll('_', ' ');
    const [enrolPhoto, queryPhoto] = photosOf('lfw-dev', person);
    await page.getByRole('link', { name: 'Gallery' }).click();
    await page.getByLabel('Name').fill(name);
    await page.locator('#enrol-photo').setInputFiles(enrolPhoto ?? '');
    await page.getByRole('button', { name: 'Enrol' }).click();
    await page
      .locator('#enrol-status')
      .filter({ hasText: `Enrolled: ${name}` })
      .waitFor(WAIT);
    const card = page.locator('#gallery-list li', { hasText: name });
    await card.waitFor(WAIT);
    // The thumbnail was fetched with the key header and shown from a blob: URL.
    await blobImagesShown(card.locator('img'));
    await page.screenshot({ path: await shot('b-gallery.png'), fullPage: true });

    await identifyThroughPage(page, queryPhoto ?? '');
    const named = page.locator('#identify-boxes .face-box.known .face-name', { hasText: name });
    await named.first().waitFor(WAIT);
    assert.match(
      (await page.locator('#identify-faces-list li.known').first().textContent()) ?? '',
      /score 0\.\d\d/,
    );
    const screenshot = await shot('b-identify-named.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    await copyFile(screenshot, REPORT_SCREENSHOT);
    console.log(`web page screenshot: ${REPORT_SCREENSHOT}`);
    // The same on a phone: one column, the boxes still on the faces.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: await shot('b-identify-phone.png'), fullPage: true });
    const phoneBox = await page.locator('#identify-boxes .face-box').first().boundingBox();
    const phonePhoto = await page.locator('#identify-image').boundingBox();
    assert.ok(phoneBox && phonePhoto && phoneBox.x + phoneBox.width <= phonePhoto.x + phonePhoto.width + 1);
    await page.setViewportSize({ width: 1280, height: 900 });

    // Delete them through the page (it asks first).
    await page.getByRole('link', { name: 'Gallery' }).click();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: `Delete ${name}` }).click();
    await page
      .locator('#enrol-status')
      .filter({ hasText: `Deleted ${name}` })
      .waitFor(WAIT);
    await page.locator('#gallery-count').filter({ hasText: 'Nobody is enrolled yet.' }).waitFor(WAIT);
  });

  let datasetId = '';
  it('(3) lists datasets, the people in one, and their curated faces (keep / reject by hand)', async () => {
    const created = await fetch(`${stack.baseUrl}/v1/datasets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'web page people' }),
    });
    datasetId = ((await created.json()) as { id: string }).id;
    const form = new FormData();
    const person = identitiesOf('lfw-dev')[1] ?? '';
    for (const [index, file] of photosOf('lfw-dev', person).slice(0, 2).entries()) {
      form.append('file', await openAsBlob(file), `${person}/${index}.jpg`);
    }
    const uploaded = await fetch(`${stack.baseUrl}/v1/datasets/${datasetId}/images`, {
      method: 'POST',
      body: form,
    });
    assert.equal(uploaded.status, 200, await uploaded.text());
    const extract = await fetch(`${stack.baseUrl}/v1/datasets/${datasetId}/extract`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const { curateJobId } = (await extract.json()) as { curateJobId: string };
    assert.equal((await waitForJob(stack.baseUrl, 'curate', curateJobId, 60_000)).body.state, 'completed');

    await page.getByRole('link', { name: 'Datasets' }).click();
    await page.getByRole('button', { name: /web page people/ }).click();
    const row = page.locator('#dataset-detail table.identities tbody tr', { hasText: person });
    await row.waitFor(WAIT);
    assert.deepEqual((await row.locator('td.numeric').allTextContents()).map(Number), [2, 2, 2]);
    await row.getByRole('button', { name: `Faces of ${person}` }).click();
    const faces = page.locator('#dataset-detail ul.faces li');
    await page.locator('#dataset-detail .faces-area h3', { hasText: '2 faces' }).waitFor(WAIT);
    assert.equal(await faces.count(), 2);
    // The crops come through the key-carrying fetch, shown from blob: URLs.
    await blobImagesShown(faces.locator('img'));
    const first = faces.first();
    const before = (await first.locator('.badge').textContent()) ?? '';
    const action = before.startsWith('kept') ? 'Reject' : 'Keep';
    await first.getByRole('button', { name: new RegExp(`^${action} face`) }).click();
    await faces
      .first()
      .locator('.badge', { hasText: `${action === 'Reject' ? 'rejected' : 'kept'} (by hand)` })
      .waitFor(WAIT);
    await page.screenshot({ path: await shot('c-datasets.png'), fullPage: true });
  });

  it("(4) shows a model's card: metrics, and the ROC curve or else the loss per epoch, as SVG", async () => {
    const history = [1, 2, 3, 4].map((epoch) => ({
      epoch,
      loss: 0.3 / epoch,
      valLoss: 0.32 / epoch + 0.02,
      valScore: 0.7 + epoch * 0.05,
      seconds: 1.5,
    }));
    const cards = {
      model_webroc: {
        roc: {
          fpr: [0, 0.05, 0.1, 0.3, 0.6, 1],
          tpr: [0, 0.05, 0.1, 0.3, 0.6, 1].map((fpr) => Math.min(1, Math.sqrt(fpr) * 1.2)),
        },
      },
      model_webloss: {},
    };
    for (const [id, extra] of Object.entries(cards)) {
      await stack.runtime.models.save({
        id,
        datasetId: 'ds_web',
        architecture: 'transfer',
        pairsId: `pairs_${id}`,
        pairsJobId: `none-${id}`,
        trainJobId: `none-${id}`,
        createdAt: new Date().toISOString(),
      });
      const compared = (metric: MetricName, label: string, trained: number, baseline: number) =>
        compareMetric(metric, label, { value: trained }, { value: baseline });
      const protocol = (name: ProtocolName, metrics: ComparedMetric[]) => ({
        protocol: name,
        description: `${name} on the test fixture`,
        people: 8,
        probes: 40,
        missed: 0,
        galleryPhotos: 40,
        folds: 1,
        metrics,
      });
      const card: ModelCard = {
        modelId: id,
        architecture: 'transfer',
        createdAt: new Date().toISOString(),
        backend: 'wasm',
        hyperparameters: { epochs: 4 },
        data: {
          datasetId: 'ds_web',
          pairsId: `pairs_${id}`,
          pairs: { train: 1, validation: 1, test: 1 },
          imageShape: [80, 80, 1],
        },
        split: { train: ['a'], validation: ['b'], test: ['c'] },
        heldOut: {},
        threshold: 0.42,
        thresholdRule: {
          distance: 0.42,
          targetFar: 0.01,
          measuredFar: 0.01,
          measuredOn: 'the validation people',
          galleryPeople: 4,
          impostorProbes: 200,
        },
        protocols: {
          unseenPeople: protocol('unseenPeople', [
            compared('oneShotAllWay', 'One-shot 8-way identification', 0.9, 0.95),
          ]),
          heldOutPhotos: protocol('heldOutPhotos', [
            compared('top1', 'Top-1 identification, 8-way', 0.97, 0.93),
          ]),
        },
        beatsBaseline: false,
        metrics: { testAuc: 0.91, oneShot5Way: 0.8 },
        timings: { totalSeconds: 6, epochs: 4, trainPairsPerSecond: 900 },
        history,
        ...extra,
      };
      await stack.runtime.store.put(
        storageKeys.modelFile(id, 'card.json'),
        Buffer.from(JSON.stringify(card)),
        {
          contentType: 'application/json',
        },
      );
    }
    await page.getByRole('link', { name: 'Models' }).click();
    await page.getByRole('button', { name: /model_webroc/ }).click();
    const detail = page.locator('#model-detail');
    await detail.locator('svg.chart title', { hasText: 'ROC curve' }).waitFor({ ...WAIT, state: 'attached' });
    assert.match((await detail.textContent()) ?? '', /ROC AUC \(test people\)\s*0\.91/);
    // The comparison with faceapi-baseline, said plainly: worse on unseen people, better on its own.
    assert.match(
      (await detail.locator('.verdict').textContent()) ?? '',
      /does NOT beat faceapi-baseline: it is worse on One-shot 8-way identification/,
    );
    const rows = detail.locator('table.comparison tbody tr');
    assert.equal(await rows.count(), 2);
    assert.match(
      (await rows.nth(1).textContent()) ?? '',
      /Top-1 identification, 8-way\s*0\.970\s*0\.930\s*trained/,
    );
    assert.equal(await detail.locator('svg.chart').count(), 2, 'ROC and loss');
    assert.equal(await detail.locator('svg.chart polyline.series').count(), 3);
    await page.screenshot({ path: await shot('d-model-roc.png'), fullPage: true });

    await page.getByRole('button', { name: /model_webloss/ }).click();
    await detail.locator('h2', { hasText: 'model_webloss' }).waitFor(WAIT);
    await detail
      .locator('svg.chart title', { hasText: 'Loss per epoch' })
      .waitFor({ ...WAIT, state: 'attached' });
    assert.match((await detail.textContent()) ?? '', /holds no ROC points/);
    assert.equal(await detail.locator('svg.chart').count(), 1);

    await page.getByRole('button', { name: /faceapi-baseline/ }).click();
    await detail.locator('h2', { hasText: 'faceapi-baseline' }).waitFor(WAIT);
    await detail.getByText('no ROC points and no training history').waitFor(WAIT);
    // Trained models appear in the picker.
    assert.ok((await page.locator('#model-select option[value="model_webroc"]').count()) === 1);
  });

  it('(5) follows a pipeline live over Server-Sent Events (when the server has pipelines)', async (t) => {
    const listed = await fetch(`${stack.baseUrl}/v1/pipelines`);
    if (listed.status !== 200) {
      t.skip(`GET /v1/pipelines answers ${listed.status}: no pipelines on this server yet`);
      return;
    }
    const started = await fetch(`${stack.baseUrl}/v1/pipelines`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ datasetId }),
    });
    if (started.status !== 202) {
      t.skip(`POST /v1/pipelines answered ${started.status}: ${await started.text()}`);
      return;
    }
    const { id } = (await started.json()) as { id: string };
    await page.getByRole('link', { name: 'Pipelines' }).click();
    await page.getByRole('button', { name: new RegExp(id) }).click();
    const detail = page.locator('#pipeline-detail');
    // No extractor runs in this stack: the pipeline waits, and the page shows every stage live.
    await detail.locator('.status', { hasText: /Pipeline running|Following live/ }).waitFor(WAIT);
    await detail.locator('ol.stages li progress').first().waitFor(WAIT);
    assert.ok((await detail.locator('ol.stages li').count()) >= 5);
    await page.screenshot({ path: await shot('e-pipeline.png'), fullPage: true });
    page.once('dialog', (dialog) => void dialog.accept());
    await detail.getByRole('button', { name: 'Cancel pipeline' }).click();
    // The stream's `end` event closes it.
    await detail.locator('.status', { hasText: 'Finished: cancelled' }).waitFor(WAIT);
  });

  it("parses Server-Sent Events in the page's own parser (split lines, CRLF, comments, multi-line data)", async () => {
    // Chunks split where a network may split them: inside a CRLF, inside a data line.
    const chunks = [
      ': hello\r\n',
      'event: progress\r',
      '\nid: 7\ndata: {"a":',
      '1}\n\n',
      'data: one\ndata: two\r\n\r\n',
    ];
    const events = await page.evaluate(
      `import('/ui/sse.js').then(({ SseParser }) => {
        const parser = new SseParser();
        return ${JSON.stringify([...chunks, 'event: end\ndata: x\n', '\n'])}.flatMap((chunk) => parser.push(chunk));
      })`,
    );
    assert.deepEqual(events, [
      { event: 'progress', data: '{"a":1}', id: '7' },
      { event: 'message', data: 'one\ntwo', id: '7' },
      { event: 'end', data: 'x', id: '7' },
    ]);
  });

  it('ran without script errors', () => {
    assert.deepEqual(watched.errors, []);
  });
});

describe('the web page (API keys)', { skip }, () => {
  const secret = randomBytes(24).toString('hex');
  let stack: ApiStack;
  let browser: Browser;
  let watched: WatchedPage;

  before(async () => {
    [stack, browser] = await Promise.all([
      startApiStack('web-page-keys', { API_AUTH: 'keys', API_KEYS: `web:admin:${secret}` }),
      launchChromium(),
    ]);
    watched = await openPage(browser);
  });
  after(async () => {
    await watched?.context.close();
    await browser?.close();
    await stack?.stop();
  });

  it('(c) the page is public; it asks for the key once, keeps it, and sends it', async () => {
    assert.equal((await fetch(`${stack.baseUrl}/`)).status, 200);
    assert.equal((await fetch(`${stack.baseUrl}/ui/style.css`)).status, 200);
    assert.equal((await fetch(`${stack.baseUrl}/v1/models`)).status, 401);

    const { page } = watched;
    await page.goto(`${stack.baseUrl}/#models`);
    const dialog = page.getByRole('dialog', { name: 'API key' });
    await dialog.waitFor(WAIT);
    await dialog.getByLabel('API key').fill('not-the-key');
    await dialog.getByRole('button', { name: 'Use this key' }).click();
    // A wrong key: asked again, saying why.
    await dialog.getByText('That key did not work.').waitFor(WAIT);
    assert.match((await dialog.locator('#key-problem').textContent()) ?? '', /not valid/);
    await page.screenshot({ path: await shot('f-key-prompt.png') });
    await dialog.getByLabel('API key').fill(secret);
    await dialog.getByRole('button', { name: 'Use this key' }).click();
    await dialog.waitFor({ ...WAIT, state: 'hidden' });
    await page.getByRole('button', { name: /faceapi-baseline/ }).waitFor(WAIT);
    assert.equal(await page.evaluate('localStorage.getItem("faceshot.apiKey")'), secret);
    await page.screenshot({ path: await shot('g-key-accepted.png') });

    // Next visit: the stored key is sent, nobody is asked.
    await page.reload();
    await page.getByRole('button', { name: /faceapi-baseline/ }).waitFor(WAIT);
    assert.equal(await page.locator('#key-dialog').isVisible(), false);
    assert.deepEqual(watched.errors, []);
  });
});
