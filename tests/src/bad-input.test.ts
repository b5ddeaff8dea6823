// The bad-input corpus (issue #12): every case gets its documented status with a problem+json body
// (or, for a client that disconnects, no answer and no leftovers); afterwards the API is healthy, the
// spool folder is empty, the open-descriptor count is back to its start, storage holds only the valid
// uploads, and the captured logs (at trace level) hold no API secret and no error-level line.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { buildApi } from '@faceshot/api/app';
import { apiDependenciesOf, startApi } from '@faceshot/api/start-api';
import { loadConfig } from '@faceshot/core/config';
import { freePort } from '@faceshot/core/free-port';
import { createLogger } from '@faceshot/core/logger';
import { closeRuntime, createRuntime, type Runtime } from '@faceshot/core/runtime';
import sharp from 'sharp';
import { datasetPath, identitiesOf, photosOf } from './support/datasets.js';
import { TEST_API_KEYS, TEST_KEYS } from './support/gateway.js';
import { multipartBody, type Part, type RawStep, rawExchange, requestHead } from './support/raw-http.js';
import { type TestRedis, useTestRedis } from './support/test-redis.js';

const WRONG_KEY = 'wrong-secret-0123456789abcdefXYZ';
const SECRETS = [...Object.values(TEST_KEYS), WRONG_KEY];
const IDLE_MS = 300;
const REQUEST_MS = 2_000;
const BOUNDARY = 'faceshotBadInputBoundary';

interface Answer {
  status: number;
  contentType: string;
  body: Record<string, unknown>;
  text: string;
}

const openDescriptors = () => fs.readdirSync('/proc/self/fd').length;

function firstPhoto(dataset: string): string {
  const identity = identitiesOf(dataset)[0] ?? '';
  return photosOf(dataset, identity)[0] ?? '';
}

/** A real JPEG whose frame header claims width × height: libvips only warns while decoding it. */
function withFrameSize(jpeg: Buffer, width: number, height: number): Buffer {
  const patched = Buffer.from(jpeg);
  for (let offset = 2; offset < patched.length - 9; ) {
    if (patched[offset] !== 0xff) break;
    const marker = patched[offset + 1] ?? 0;
    const length = patched.readUInt16BE(offset + 2);
    if (marker >= 0xc0 && marker <= 0xc3) {
      patched.writeUInt16BE(height, offset + 5);
      patched.writeUInt16BE(width, offset + 7);
      return patched;
    }
    offset += 2 + length;
  }
  throw new Error('no frame header found');
}

describe('bad input', () => {
  let redis: TestRedis;
  let root: string;
  let runtime: Runtime;
  let close: () => Promise<void>;
  let baseUrl: string;
  let port: number;
  let datasetId: string;
  let descriptorsAtStart: number;
  const logLines: string[] = [];
  const validKeys = new Set<string>();
  let jpeg: Buffer;

  async function call(
    method: string,
    url: string,
    init: { key?: string | null; headers?: Record<string, string>; body?: string | Buffer | FormData } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    const key = init.key === undefined ? TEST_KEYS.writer : init.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    const response = await fetch(`${baseUrl}${url}`, {
      method,
      headers,
      redirect: 'manual',
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    const text = await response.text();
    const contentType = response.headers.get('content-type') ?? '';
    const body = /json/.test(contentType) && text !== '' ? (JSON.parse(text) as Record<string, unknown>) : {};
    return { status: response.status, contentType, body, text };
  }

  function assertProblem(answer: Answer, status: number, detail?: RegExp): void {
    assert.equal(answer.status, status, answer.text);
    assert.match(answer.contentType, /^application\/problem\+json/, answer.text);
    assert.equal(answer.body.status, status);
    assert.equal(typeof answer.body.title, 'string');
    assert.equal(typeof answer.body.detail, 'string');
    if (detail !== undefined) assert.match(String(answer.body.detail), detail);
    for (const secret of SECRETS) assert.ok(!answer.text.includes(secret), 'a problem body echoes a key');
  }

  async function raw(
    steps: RawStep[],
    options: { waitMs?: number; disconnect?: boolean } = {},
  ): Promise<Answer> {
    const answer = await rawExchange(port, steps, { waitMs: options.waitMs ?? REQUEST_MS * 3, ...options });
    const contentType = answer.headers['content-type'] ?? '';
    const body =
      /json/.test(contentType) && answer.body !== ''
        ? (JSON.parse(answer.body) as Record<string, unknown>)
        : {};
    return { status: answer.status, contentType, body, text: answer.body };
  }

  const auth = { authorization: `Bearer ${TEST_KEYS.writer}` };
  const multipartHeaders = (length: number) => ({
    ...auth,
    'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
    'content-length': length,
  });

  before(async () => {
    redis = await useTestRedis('bad-input');
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'faceshot-bad-input-'));
    const config = loadConfig({
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      STORAGE_DIR: path.join(root, 'objects'),
      TEMP_DIR: path.join(root, 'spool'),
      LOG_LEVEL: 'trace',
      LOG_FORMAT: 'json',
      API_AUTH: 'keys',
      API_KEYS: TEST_API_KEYS,
      RATE_LIMIT_PER_MINUTE: '0',
      UPLOAD_MAX_FILES: '5',
      IMAGE_MAX_BYTES: String(2 * 1024 * 1024),
      JSON_BODY_MAX_BYTES: '4096',
      API_BODY_IDLE_TIMEOUT_MS: String(IDLE_MS),
      API_REQUEST_TIMEOUT_MS: String(REQUEST_MS),
      API_HEADERS_TIMEOUT_MS: '1000',
    });
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logLines.push(
          ...chunk
            .toString()
            .split('\n')
            .filter((line) => line !== ''),
        );
        callback();
      },
    });
    runtime = await createRuntime(config, createLogger(config.log, {}, false, sink));
    const app = await buildApi(apiDependenciesOf(runtime));
    baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    port = Number(new URL(baseUrl).port);
    close = async () => {
      await app.close();
      await closeRuntime(runtime);
    };
    jpeg = await fsp.readFile(firstPhoto('lfw-dev'));
    const created = await call('POST', '/v1/datasets', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'corpus' }),
    });
    assert.equal(created.status, 201, created.text);
    datasetId = String(created.body.id);
    // Warm up (first multipart parse, first image decode) before counting descriptors.
    const form = new FormData();
    form.append('file', new Blob([jpeg]), 'warm up/a.jpg');
    const warm = await call('POST', `/v1/datasets/${datasetId}/images`, { body: form });
    assert.equal(warm.status, 200, warm.text);
    for (const file of warm.body.files as { key?: string }[]) if (file.key) validKeys.add(file.key);
    descriptorsAtStart = openDescriptors();
  });

  after(async () => {
    await close();
    await redis.cleanup();
    await fsp.rm(root, { recursive: true, force: true });
  });

  describe('1-2. hang, leak and timeouts', () => {
    const images = () => `/v1/datasets/${datasetId}/images`;
    const photoRoutes = [
      ['identify', '/v1/models/faceapi-baseline/identify'],
      ['verify', '/v1/models/faceapi-baseline/verify'],
      ['enrol', '/v1/models/faceapi-baseline/identities'],
    ] as const;

    it('truncated upload (full Content-Length, no closing boundary) → 400: dataset images', async () => {
      const body = multipartBody(BOUNDARY, [{ name: 'file', filename: 'x/a.jpg', content: jpeg }], false);
      assertProblem(
        await raw([requestHead('POST', images(), multipartHeaders(body.length)), body]),
        400,
        /truncated/,
      );
    });
    for (const [name, url] of photoRoutes) {
      it(`truncated upload → 400: ${name}`, async () => {
        const body = multipartBody(BOUNDARY, [{ name: 'photo', filename: 'a.jpg', content: jpeg }], false);
        assertProblem(
          await raw([requestHead('POST', url, multipartHeaders(body.length)), body]),
          400,
          /truncated/,
        );
      });
    }
    it('truncated in a part header → 400', async () => {
      const body = Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filen`);
      const answer = await raw([requestHead('POST', images(), multipartHeaders(body.length)), body]);
      assert.ok([400].includes(answer.status), answer.text);
      assertProblem(answer, 400);
    });
    it('stalled mid-file (no bytes for longer than the idle timeout) → 408: dataset images', async () => {
      const body = multipartBody(BOUNDARY, [{ name: 'file', filename: 'x/a.jpg', content: jpeg }]);
      const half = body.subarray(0, Math.floor(body.length / 2));
      assertProblem(
        await raw([requestHead('POST', images(), multipartHeaders(body.length)), half]),
        408,
        /sent nothing/,
      );
    });
    for (const [name, url] of photoRoutes) {
      it(`stalled mid-file → 408: ${name}`, async () => {
        const body = multipartBody(BOUNDARY, [{ name: 'photo', filename: 'a.jpg', content: jpeg }]);
        const half = body.subarray(0, Math.floor(body.length / 2));
        assertProblem(await raw([requestHead('POST', url, multipartHeaders(body.length)), half]), 408);
      });
    }
    it('a multipart body that never starts → 408', async () => {
      assertProblem(await raw([requestHead('POST', images(), multipartHeaders(5000))]), 408);
    });
    it('stalled between parts (after a field) → 408', async () => {
      const field = multipartBody(BOUNDARY, [{ name: 'identity', content: 'someone' }], false);
      assertProblem(
        await raw([requestHead('POST', images(), multipartHeaders(field.length + 5000)), field]),
        408,
      );
    });
    it('a JSON body that never arrives → 408 (request timeout)', async () => {
      const head = requestHead('POST', '/v1/datasets', {
        ...auth,
        'content-type': 'application/json',
        'content-length': 40,
      });
      assertProblem(await raw([head]), 408, /did not arrive in time/);
    });
    it('a body sent 1 byte at a time, slower than the request timeout allows → 408', async () => {
      const json = JSON.stringify({ name: 'drip-drip-drip-drip-drip' });
      const head = requestHead('POST', '/v1/datasets', {
        ...auth,
        'content-type': 'application/json',
        'content-length': json.length,
      });
      const steps: RawStep[] = [head];
      for (const byte of json) steps.push(byte, { pauseMs: 120 });
      assertProblem(await raw(steps), 408);
    });
    it('a drip-fed upload (each byte within the idle timeout) still ends at the request timeout → 408', async () => {
      const body = multipartBody(BOUNDARY, [{ name: 'file', filename: 'x/a.jpg', content: jpeg }]);
      const steps: RawStep[] = [requestHead('POST', images(), multipartHeaders(body.length))];
      for (let offset = 0; offset < 40; offset++)
        steps.push(body.subarray(offset, offset + 1), { pauseMs: 100 });
      assertProblem(await raw(steps), 408);
    });
    it('headers that never end → 408 (headers timeout)', async () => {
      assertProblem(await raw([`GET /v1/datasets HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n`]), 408);
    });
    for (const [name, url] of [['dataset images', ''], ...photoRoutes] as const) {
      it(`client disconnects mid-upload → no answer, nothing left behind: ${name}`, async () => {
        const target = url === '' ? images() : url;
        const body = multipartBody(BOUNDARY, [{ name: 'file', filename: 'x/a.jpg', content: jpeg }]);
        const answer = await raw(
          [
            requestHead('POST', target, multipartHeaders(body.length)),
            body.subarray(0, body.length - 200),
            { pauseMs: 50 },
          ],
          { disconnect: true },
        );
        assert.equal(answer.status, 0);
      });
    }
  });

  describe('3. secrets', () => {
    it('GET /admin/queues?key=<admin key> → 303 to the same page without the key', async () => {
      const answer = await fetch(`${baseUrl}/admin/queues?key=${TEST_KEYS.admin}&x=1`, {
        redirect: 'manual',
      });
      assert.equal(answer.status, 303);
      assert.equal(answer.headers.get('location'), '/admin/queues?x=1');
    });
    it('?%6Bey=<admin key> (an encoded name) → 303 too', async () => {
      const answer = await fetch(`${baseUrl}/admin/queues?%6Bey=${TEST_KEYS.admin}`, { redirect: 'manual' });
      assert.equal(answer.status, 303);
    });
    it('?key=<write key> on /admin → 403 without the key in the body', async () => {
      assertProblem(
        await call('GET', `/admin/queues?key=${TEST_KEYS.writer}`, { key: null }),
        403,
        /admin key/,
      );
    });
    it('?key=<wrong key> on /admin → 401 without the key in the body', async () => {
      const answer = await call('GET', `/admin/queues?key=${WRONG_KEY}`, { key: null });
      assertProblem(answer, 401, /not valid/);
      assert.equal(answer.body.instance, '/admin/queues?key=[redacted]');
    });
    it('a wrong bearer key → 401 without the key in the body', async () => {
      assertProblem(await call('GET', '/v1/datasets', { key: WRONG_KEY }), 401, /not valid/);
    });
    it('no key → 401', async () => {
      assertProblem(await call('GET', '/v1/datasets', { key: null }), 401, /required/);
    });
    it('a read key writing → 403', async () => {
      assertProblem(
        await call('POST', '/v1/datasets', {
          key: TEST_KEYS.reader,
          headers: { 'content-type': 'application/json' },
          body: '{"name":"r"}',
        }),
        403,
        /read-only/,
      );
    });
    it('a key on a /v1 route in the query string is not a key → 401, and is not echoed', async () => {
      assertProblem(await call('GET', `/v1/datasets?key=${TEST_KEYS.writer}`, { key: null }), 401);
    });
  });

  describe('4. numbers and names that used to be 500s', () => {
    for (const value of ['Infinity', '-Infinity', '1e400', '-1e400', 'NaN', 'abc', '', '1e-400x']) {
      for (const route of ['identify', 'verify']) {
        it(`?threshold=${value} on ${route} → 400`, async () => {
          assertProblem(
            await call('POST', `/v1/models/faceapi-baseline/${route}?threshold=${encodeURIComponent(value)}`),
            400,
          );
        });
      }
    }
    const jsonCases: [string, string, string][] = [
      [
        'POST /v1/models hyperparameters.epochs 1e400',
        '/v1/models',
        '{"datasetId":"DS","hyperparameters":{"epochs":1e400}}',
      ],
      [
        'POST /v1/models hyperparameters.learningRate -1e400',
        '/v1/models',
        '{"datasetId":"DS","hyperparameters":{"learningRate":-1e400}}',
      ],
      ['POST /v1/models validationShare 1e400', '/v1/models', '{"datasetId":"DS","validationShare":1e400}'],
      ['POST /v1/models testShare -1e400', '/v1/models', '{"datasetId":"DS","testShare":-1e400}'],
      ['POST /v1/models testShare "Infinity"', '/v1/models', '{"datasetId":"DS","testShare":"Infinity"}'],
      [
        'POST /v1/pipelines options.hyperparameters.margin 1e400',
        '/v1/pipelines',
        '{"datasetId":"DS","options":{"hyperparameters":{"margin":1e400}}}',
      ],
      [
        'POST /v1/pipelines options.keepPerIdentity 1e400',
        '/v1/pipelines',
        '{"datasetId":"DS","options":{"keepPerIdentity":1e400}}',
      ],
      [
        'POST /v1/pipelines options.validationShare -1e400',
        '/v1/pipelines',
        '{"datasetId":"DS","options":{"validationShare":-1e400}}',
      ],
      ['POST extract keepPerIdentity 1e400', '/v1/datasets/DS/extract', '{"keepPerIdentity":1e400}'],
      ['POST curate keepPerIdentity -1e400', '/v1/datasets/DS/curate', '{"keepPerIdentity":-1e400}'],
    ];
    for (const [name, url, body] of jsonCases) {
      it(`${name} → 400`, async () => {
        assertProblem(
          await call('POST', url.replace('DS', datasetId), {
            headers: { 'content-type': 'application/json' },
            body: body.replace('DS', datasetId),
          }),
          400,
        );
      });
    }
    for (const identity of [
      '../x',
      '..',
      'a/b',
      '.hidden',
      'a\u0000b',
      ' padded',
      'x'.repeat(129),
      'back\\slash',
    ]) {
      it(`GET faces?identity=${JSON.stringify(identity).slice(0, 30)} → 400`, async () => {
        assertProblem(
          await call('GET', `/v1/datasets/${datasetId}/faces?identity=${encodeURIComponent(identity)}`),
          400,
        );
      });
    }
    for (const identity of ['a%2Fb', '.hidden', 'a%00b', '%20x']) {
      it(`gallery identity ${identity} in the path → 400`, async () => {
        assertProblem(await call('GET', `/v1/models/faceapi-baseline/identities/${identity}`), 400);
      });
    }
    for (const [name, url] of [
      ['dataset images', 'IMAGES'],
      ['identify', '/v1/models/faceapi-baseline/identify'],
      ['verify', '/v1/models/faceapi-baseline/verify'],
      ['enrol', '/v1/models/faceapi-baseline/identities'],
    ] as const) {
      it(`multipart/form-data without a boundary → 400: ${name}`, async () => {
        const target = url === 'IMAGES' ? `/v1/datasets/${datasetId}/images` : url;
        assertProblem(
          await call('POST', target, { headers: { 'content-type': 'multipart/form-data' }, body: 'x' }),
          400,
          /multipart/,
        );
      });
    }
  });

  describe('5. errors of the framework and the HTTP parser', () => {
    for (const route of [
      '/v1/datasets/',
      '/v1/models/',
      '/v1/pipelines/',
      '/v1/jobs/train/',
      '/v1/datasets/ds_x/faces/',
    ]) {
      it(`a path part over 100 characters → 414: ${route}`, async () => {
        assertProblem(await call('GET', `${route}${'a'.repeat(101)}`), 414);
      });
    }
    it('Content-Length and Transfer-Encoding together → 400', async () => {
      const head = `POST /v1/datasets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_KEYS.writer}\r\nContent-Type: application/json\r\nContent-Length: 12\r\nTransfer-Encoding: chunked\r\n\r\n`;
      assertProblem(await raw([head, '0\r\n\r\n']), 400, /malformed HTTP/);
    });
    it('a garbage request line → 400', async () => {
      assertProblem(await raw(['HELLO THERE\r\n\r\n']), 400);
    });
    it('a bad chunked encoding → 400', async () => {
      const head = `POST /v1/datasets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_KEYS.writer}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
      assertProblem(await raw([head, 'zz\r\nxx\r\n']), 400);
    });
    it('headers larger than the server takes → 431', async () => {
      assertProblem(
        await raw([`GET /v1/datasets HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`]),
        431,
      );
    });
    it('a bad percent-encoding in the path → 400', async () => {
      assertProblem(await call('GET', '/v1/datasets/%E0%A4%A'), 400);
    });
    it('an unknown route → 404', async () => {
      assertProblem(await call('GET', '/v1/nothing-here'), 404);
    });
    it('an unknown method on a known path → 404', async () => {
      assertProblem(await call('PUT', '/v1/datasets'), 404);
    });
    it('text/plain body → 415 (the API takes JSON and multipart only)', async () => {
      assertProblem(
        await call('POST', '/v1/datasets', { headers: { 'content-type': 'text/plain' }, body: 'name=x' }),
        415,
      );
    });
    it('invalid JSON → 400', async () => {
      assertProblem(
        await call('POST', '/v1/datasets', {
          headers: { 'content-type': 'application/json' },
          body: '{"name":',
        }),
        400,
      );
    });
    it('empty JSON body → 400', async () => {
      assertProblem(
        await call('POST', '/v1/datasets', { headers: { 'content-type': 'application/json' }, body: '' }),
        400,
      );
    });
    it('JSON over JSON_BODY_MAX_BYTES → 413', async () => {
      assertProblem(
        await call('POST', '/v1/datasets', {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'x'.repeat(5000) }),
        }),
        413,
      );
    });
    it('__proto__ in JSON → 400', async () => {
      assertProblem(
        await call('POST', '/v1/datasets', {
          headers: { 'content-type': 'application/json' },
          body: '{"name":"p","__proto__":{"admin":true}}',
        }),
        400,
      );
    });
    it('constructor.prototype in JSON → 400', async () => {
      assertProblem(
        await call('POST', '/v1/datasets', {
          headers: { 'content-type': 'application/json' },
          body: '{"name":"p","constructor":{"prototype":{"admin":true}}}',
        }),
        400,
      );
    });
    it('a JSON array as the body → 400', async () => {
      assertProblem(
        await call('POST', '/v1/datasets', { headers: { 'content-type': 'application/json' }, body: '[]' }),
        400,
      );
    });
    it('a JSON string as the body → 400', async () => {
      assertProblem(
        await call('POST', '/v1/datasets', { headers: { 'content-type': 'application/json' }, body: '"x"' }),
        400,
      );
    });
  });

  describe('6. refused instead of silently accepted', () => {
    const json = (url: string, body: unknown, method = 'POST') =>
      call(method, url.replace('DS', datasetId), {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const cases: [string, string, unknown, string?][] = [
      ['name as an array', '/v1/datasets', { name: ['a'] }],
      ['name as a number', '/v1/datasets', { name: 1 }],
      ['name as a boolean', '/v1/datasets', { name: true }],
      ['name null', '/v1/datasets', { name: null }],
      ['name as an object', '/v1/datasets', { name: {} }],
      ['name blank', '/v1/datasets', { name: '   ' }],
      ['unknown property on create', '/v1/datasets', { name: 'x', admin: true }],
      ['no name', '/v1/datasets', {}],
      [
        'items and queries together',
        '/v1/datasets/DS/downloads',
        { items: [{ identity: 'a', url: 'https://e.org/a.jpg' }], queries: [{ identity: 'a', query: 'a' }] },
      ],
      [
        'unknown property in a download item',
        '/v1/datasets/DS/downloads',
        { items: [{ identity: 'a', url: 'https://e.org/a.jpg', x: 1 }] },
      ],
      ['no download items', '/v1/datasets/DS/downloads', { items: [] }],
      [
        'a download URL that is not http(s)',
        '/v1/datasets/DS/downloads',
        { items: [{ identity: 'a', url: 'file:///etc/passwd' }] },
      ],
      [
        'a download identity with a slash',
        '/v1/datasets/DS/downloads',
        { items: [{ identity: 'a/b', url: 'https://e.org/a.jpg' }] },
      ],
      [
        'a search limit as a string',
        '/v1/datasets/DS/downloads',
        { queries: [{ identity: 'a', query: 'a', limit: '5' }] },
      ],
      ['unknown field on a pipeline', '/v1/pipelines', { datasetId: 'DS', epochs: 0 }],
      ['unknown option on a pipeline', '/v1/pipelines', { datasetId: 'DS', options: { epochs: 3 } }],
      [
        'unknown hyperparameter on a pipeline',
        '/v1/pipelines',
        { datasetId: 'DS', options: { hyperparameters: { dropout: 0.5 } } },
      ],
      [
        'epochs 0 on a pipeline',
        '/v1/pipelines',
        { datasetId: 'DS', options: { hyperparameters: { epochs: 0 } } },
      ],
      ['epochs 1.5', '/v1/models', { datasetId: 'DS', hyperparameters: { epochs: 1.5 } }],
      ['batchSize as a string', '/v1/models', { datasetId: 'DS', hyperparameters: { batchSize: '32' } }],
      ['unknown field on a model', '/v1/models', { datasetId: 'DS', gpu: true }],
      ['an unknown architecture', '/v1/models', { datasetId: 'DS', architecture: 'resnet' }],
      ['a dataset id with dots', '/v1/models', { datasetId: '../x' }],
      ['pairsPerClass as a string', '/v1/models', { datasetId: 'DS', pairsPerClass: '100' }],
      ['autoEnrol as a string', '/v1/models', { datasetId: 'DS', autoEnrol: 'true' }],
      ['validationShare over its range', '/v1/models', { datasetId: 'DS', validationShare: 0.9 }],
      ['keepPerIdentity 0', '/v1/datasets/DS/extract', { keepPerIdentity: 0 }],
      ['unknown field on extract', '/v1/datasets/DS/extract', { keep: 3 }],
      [
        'photosPerIdentity -1',
        '/v1/models/faceapi-baseline/identities/from-dataset',
        { datasetId: 'DS', photosPerIdentity: -1 },
      ],
      [
        'unknown field on from-dataset',
        '/v1/models/faceapi-baseline/identities/from-dataset',
        { datasetId: 'DS', all: true },
      ],
    ];
    for (const [name, url, body] of cases) {
      it(`${name} → 400`, async () => {
        assertProblem(await json(url, body), 400);
      });
    }
    it('a face override with an unknown status → 400', async () => {
      assertProblem(await json(`/v1/datasets/DS/faces/${'a'.repeat(64)}`, { status: 'maybe' }, 'PATCH'), 400);
    });
    it('a face override with an extra field → 400', async () => {
      assertProblem(
        await json(`/v1/datasets/DS/faces/${'a'.repeat(64)}`, { status: 'kept', by: 'me' }, 'PATCH'),
        400,
      );
    });
    it('a rename with an extra field → 400', async () => {
      assertProblem(
        await json('/v1/models/faceapi-baseline/identities/someone', { identity: 'x', y: 1 }, 'PATCH'),
        400,
      );
    });
    for (const query of [
      'topK=1&topK=2',
      'threshold=1&threshold=2',
      'topK=0',
      'topK=101',
      'topK=abc',
      'topK=1.5',
      'faces=some',
    ]) {
      it(`identify ?${query} → 400`, async () => {
        assertProblem(await call('POST', `/v1/models/faceapi-baseline/identify?${query}`), 400);
      });
    }
    for (const id of ['..%2F..', 'a%20b', '-x', '_x', 'a.b', 'x'.repeat(65)]) {
      it(`dataset id ${id.slice(0, 20)} → 400`, async () => {
        assertProblem(await call('GET', `/v1/datasets/${id}`), 400);
      });
    }
    for (const id of ['a.b', '-x']) {
      it(`model id ${id} → 400`, async () => {
        assertProblem(await call('GET', `/v1/models/${id}`), 400);
      });
    }
    it('a missing dataset with a well-formed id → 404', async () => {
      assertProblem(await call('GET', '/v1/datasets/ds_missing'), 404);
    });
  });

  describe('7. photos that are not (whole) photos', () => {
    const upload = async (url: string, parts: Part[]) => {
      const body = multipartBody(BOUNDARY, parts);
      return raw([requestHead('POST', url, multipartHeaders(body.length)), body]);
    };
    const identify = '/v1/models/faceapi-baseline/identify';
    const rejectedFiles: [string, () => Buffer | Promise<Buffer>, RegExp][] = [
      ['a JPEG whose header claims 6000x6000', () => withFrameSize(jpeg, 6000, 6000), /corrupt or truncated/],
      ['a JPEG cut in half', () => jpeg.subarray(0, Math.floor(jpeg.length / 2)), /corrupt or truncated/],
      ['an empty file', () => Buffer.alloc(0), /empty/],
      ['a text file', () => Buffer.from('just some text'), /not an image format/],
      ['an SVG drawing', () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), /SVG/],
      ['an HTML page', () => Buffer.from('<!doctype html><html></html>'), /HTML/],
      [
        'a PNG with its data cut off',
        async () => {
          const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: 'red' } })
            .png()
            .toBuffer();
          return png.subarray(0, png.length - 30);
        },
        /corrupt or truncated|damaged/,
      ],
    ];
    for (const [name, bytes, reason] of rejectedFiles) {
      it(`dataset upload of ${name} → 200 with the file rejected, nothing stored`, async () => {
        const answer = await upload(`/v1/datasets/${datasetId}/images`, [
          { name: 'file', filename: `bad/${name.length}.jpg`, content: await bytes() },
        ]);
        assert.equal(answer.status, 200, answer.text);
        const files = answer.body.files as { outcome: string; reason?: string }[];
        assert.equal(files[0]?.outcome, 'rejected');
        assert.match(files[0]?.reason ?? '', reason);
      });
      it(`identify with ${name} → 415`, async () => {
        assertProblem(
          await upload(identify, [{ name: 'photo', filename: 'a.jpg', content: await bytes() }]),
          415,
        );
      });
    }
    it('identify with a JPEG claiming 10000x10000 (over IMAGE_MAX_PIXELS) → 413', async () => {
      assertProblem(
        await upload(identify, [
          { name: 'photo', filename: 'a.jpg', content: withFrameSize(jpeg, 10000, 10000) },
        ]),
        413,
      );
    });
    it('identify with a file over IMAGE_MAX_BYTES → 413', async () => {
      assertProblem(
        await upload(identify, [
          { name: 'photo', filename: 'a.jpg', content: Buffer.alloc(3 * 1024 * 1024, 1) },
        ]),
        413,
      );
    });
    it('identify with two photos → 400', async () => {
      assertProblem(
        await upload(identify, [
          { name: 'a', filename: 'a.jpg', content: jpeg },
          { name: 'b', filename: 'b.jpg', content: jpeg },
        ]),
        400,
      );
    });
    it('verify with one photo → 400', async () => {
      assertProblem(
        await upload('/v1/models/faceapi-baseline/verify', [{ name: 'a', filename: 'a.jpg', content: jpeg }]),
        400,
      );
    });
    it('identify with no file part → 400', async () => {
      assertProblem(await upload(identify, [{ name: 'note', content: 'hello' }]), 400);
    });
    it('enrol with an identity of ".." → 400', async () => {
      assertProblem(
        await upload('/v1/models/faceapi-baseline/identities', [
          { name: 'identity', content: '..' },
          { name: 'photo', filename: 'a.jpg', content: jpeg },
        ]),
        400,
      );
    });
    it('more file parts than UPLOAD_MAX_FILES → 413', async () => {
      const parts = Array.from({ length: 7 }, (_, index) => ({
        name: 'file',
        filename: `many/${index}.jpg`,
        content: 'x',
      }));
      assertProblem(await upload(`/v1/datasets/${datasetId}/images`, parts), 413);
    });
    it('JSON sent to an upload route → 415', async () => {
      assertProblem(
        await call('POST', `/v1/datasets/${datasetId}/images`, {
          headers: { 'content-type': 'application/json' },
          body: '{}',
        }),
        415,
      );
    });
    it('file parts with unsafe identities are each rejected (CR/LF, dot-dot, hidden)', async () => {
      const answer = await upload(`/v1/datasets/${datasetId}/images`, [
        { name: 'identity', content: 'a\r\nb' },
        { name: 'file', filename: 'one.jpg', content: jpeg },
        { name: 'file', filename: '../two.jpg', content: jpeg },
        { name: 'file', filename: '.git/three.jpg', content: jpeg },
      ]);
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(answer.body.counts, { stored: 0, duplicate: 0, rejected: 3 });
    });
    it('every real photo set is still accepted (a sample of each)', async () => {
      for (const set of ['lfw-dev', 'orl-att-faces', 'seed-gray-faces', 'seed-test-photos']) {
        const identities = identitiesOf(set);
        const form = new FormData();
        const picks =
          identities.length > 0
            ? identities.slice(-3).map((identity) => [identity, photosOf(set, identity)[0] ?? ''] as const)
            : [];
        if (picks.length === 0) {
          const files = fs
            .readdirSync(datasetPath(set))
            .filter((file) => !/\.(md|txt|json|csv)$/i.test(file))
            .slice(0, 3);
          for (const file of files)
            form.append('file', new Blob([await fsp.readFile(datasetPath(set, file))]), `${set}/${file}`);
        }
        for (const [identity, file] of picks)
          form.append(
            'file',
            new Blob([await fsp.readFile(file)]),
            `${set} ${identity}/${path.basename(file)}`,
          );
        const answer = await call('POST', `/v1/datasets/${datasetId}/images`, { body: form });
        assert.equal(answer.status, 200, answer.text);
        const files = answer.body.files as { outcome: string; key?: string; reason?: string }[];
        assert.ok(files.length > 0, set);
        for (const file of files) {
          assert.equal(file.outcome, 'stored', `${set}: ${file.reason ?? ''}`);
          if (file.key) validKeys.add(file.key);
        }
      }
    });
  });

  describe('afterwards', () => {
    it('the API is healthy, the spool folder is empty, descriptors are back, storage holds only the valid uploads', async () => {
      assert.equal((await call('GET', '/healthz', { key: null })).status, 200);
      const spool = path.join(root, 'spool');
      const spooled = fs.existsSync(spool) ? fs.readdirSync(spool) : [];
      assert.deepEqual(spooled, []);
      // Sockets of the cases close asynchronously: allow them a moment.
      const deadline = Date.now() + 5_000;
      while (openDescriptors() > descriptorsAtStart && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(
        openDescriptors() <= descriptorsAtStart,
        `${openDescriptors()} descriptors open, ${descriptorsAtStart} at the start`,
      );
      const stored: string[] = [];
      for await (const object of runtime.store.list('')) stored.push(object.key);
      assert.deepEqual(stored.sort(), [...validKeys].sort());
    });
    it('client aborts are logged at info level; nothing is logged at error level', () => {
      const parsed = logLines.map((line) => JSON.parse(line) as { level: number; msg: string });
      const aborts = parsed.filter((line) => /client closed the connection/.test(line.msg));
      assert.ok(aborts.length >= 4, `abort lines: ${aborts.length}`);
      for (const line of aborts) assert.equal(line.level, 30);
      const errors = parsed.filter((line) => line.level >= 50);
      assert.deepEqual(errors, []);
    });
    it('the captured logs (trace level) hold no API secret', () => {
      assert.ok(logLines.length > 100, `only ${logLines.length} log lines`);
      const all = logLines.join('\n');
      for (const secret of SECRETS)
        assert.ok(!all.includes(secret), `a log line holds ${secret.slice(0, 6)}…`);
      assert.ok(all.includes('key=[redacted]'), 'the dashboard login is logged, redacted');
    });
  });
});

describe('shutdown with a request still open', () => {
  let redis: TestRedis;
  let root: string;
  after(async () => {
    await redis.cleanup();
    await fsp.rm(root, { recursive: true, force: true });
  });

  it('stops cleanly within the grace period while a client drip-feeds a body', async () => {
    redis = await useTestRedis('bad-input-stop');
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'faceshot-bad-input-stop-'));
    const config = loadConfig({
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      STORAGE_DIR: path.join(root, 'objects'),
      TEMP_DIR: path.join(root, 'spool'),
      LOG_LEVEL: 'silent',
      API_AUTH: 'keys',
      API_KEYS: TEST_API_KEYS,
      API_PORT: String(await freePort()),
      SHUTDOWN_GRACE_MS: '1000',
      API_REQUEST_TIMEOUT_MS: '600000',
    });
    const runtime = await createRuntime(config, createLogger(config.log));
    const api = await startApi(runtime);
    const json = JSON.stringify({ name: 'x'.repeat(50) });
    const steps: RawStep[] = [
      requestHead('POST', '/v1/datasets', {
        authorization: `Bearer ${TEST_KEYS.writer}`,
        'content-type': 'application/json',
        'content-length': json.length,
      }),
    ];
    for (const byte of json) steps.push(byte, { pauseMs: 200 });
    const drip = rawExchange(config.api.port, steps, { waitMs: 100 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    await api.stop();
    const tookMs = Date.now() - started;
    await closeRuntime(runtime);
    assert.ok(tookMs < 2_000, `stop took ${tookMs} ms`);
    await drip;
  });
});
