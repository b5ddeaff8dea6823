// Rate limits per API key (counted in Redis), CORS for browser clients, and the JSON body size limit.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { type ApiStack, startApiStack } from './support/api-stack.js';
import { bearer, call, postJsonAs, TEST_API_KEYS, TEST_KEYS } from './support/gateway.js';
import { assertProblem } from './support/http.js';

describe('rate limit per API key', () => {
  let stack: ApiStack;
  before(async () => {
    stack = await startApiStack('gateway-rate', {
      API_AUTH: 'keys',
      API_KEYS: TEST_API_KEYS,
      RATE_LIMIT_PER_MINUTE: '3',
    });
  });
  after(async () => {
    await stack.stop();
  });

  it('answers 429 problem+json with Retry-After over the limit; other keys and public routes go on', async () => {
    for (let request = 1; request <= 3; request++) {
      const response = await call(`${stack.baseUrl}/v1/datasets`, { headers: bearer(TEST_KEYS.writer) });
      assert.equal(response.status, 200, `request ${request}: ${response.text}`);
      assert.equal(response.headers.get('x-ratelimit-remaining'), String(3 - request));
    }
    const limited = await call(`${stack.baseUrl}/v1/datasets`, { headers: bearer(TEST_KEYS.writer) });
    assertProblem(limited, 429, /more than 3 requests per minute with this API key/);
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${retryAfter}`);

    const otherKey = await call(`${stack.baseUrl}/v1/datasets`, { headers: bearer(TEST_KEYS.reader) });
    assert.equal(otherKey.status, 200, 'each key has its own budget');
    for (let request = 0; request < 5; request++) {
      assert.equal((await call(`${stack.baseUrl}/healthz`)).status, 200, 'probes are never limited');
    }
  });

  it('keeps the counters in Redis under the deployment prefix', async () => {
    const redis = new Redis(stack.redis.url);
    try {
      const keys = await redis.keys(`${stack.redis.prefix}:rate-limit:*`);
      assert.ok(keys.includes(`${stack.redis.prefix}:rate-limit:key:writer`), keys.join(', '));
    } finally {
      redis.disconnect();
    }
  });
});

describe('rate limit in open mode', () => {
  let stack: ApiStack;
  before(async () => {
    stack = await startApiStack('gateway-rate-open', { RATE_LIMIT_PER_MINUTE: '2' });
  });
  after(async () => {
    await stack.stop();
  });

  it('counts per client address', async () => {
    assert.equal((await call(`${stack.baseUrl}/v1/datasets`)).status, 200);
    assert.equal((await call(`${stack.baseUrl}/v1/datasets`)).status, 200);
    assertProblem(await call(`${stack.baseUrl}/v1/datasets`), 429, /from this address/);
  });
});

describe('CORS and body size', () => {
  let stack: ApiStack;
  let plain: ApiStack;
  before(async () => {
    [stack, plain] = await Promise.all([
      startApiStack('gateway-cors', {
        API_AUTH: 'keys',
        API_KEYS: TEST_API_KEYS,
        CORS_ORIGINS: 'https://app.example.org, http://localhost:5173',
        JSON_BODY_MAX_BYTES: '2048',
      }),
      startApiStack('gateway-no-cors', { API_AUTH: 'keys', API_KEYS: TEST_API_KEYS }),
    ]);
  });
  after(async () => {
    await Promise.all([stack.stop(), plain.stop()]);
  });

  function preflight(baseUrl: string, origin: string) {
    return call(`${baseUrl}/v1/datasets`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
  }

  it('answers a preflight from an allowed origin without a key', async () => {
    const response = await preflight(stack.baseUrl, 'https://app.example.org');
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('access-control-allow-origin'), 'https://app.example.org');
    assert.match(response.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(response.headers.get('access-control-allow-headers') ?? '', /Authorization/);

    const real = await call(`${stack.baseUrl}/v1/datasets`, {
      headers: { ...bearer(TEST_KEYS.reader), origin: 'http://localhost:5173' },
    });
    assert.equal(real.status, 200);
    assert.equal(real.headers.get('access-control-allow-origin'), 'http://localhost:5173');
  });

  it('gives a denied origin no Access-Control-Allow-Origin', async () => {
    const response = await preflight(stack.baseUrl, 'https://evil.example.com');
    assert.equal(response.headers.get('access-control-allow-origin'), null);
    const real = await call(`${stack.baseUrl}/v1/datasets`, {
      headers: { ...bearer(TEST_KEYS.reader), origin: 'https://evil.example.com' },
    });
    assert.equal(real.headers.get('access-control-allow-origin'), null);
  });

  it('sends no CORS header at all when CORS_ORIGINS is empty', async () => {
    const response = await preflight(plain.baseUrl, 'https://app.example.org');
    assert.notEqual(response.status, 204);
    for (const [name] of response.headers) assert.doesNotMatch(name, /^access-control-/);
  });

  it('answers 413 problem+json to a JSON body over JSON_BODY_MAX_BYTES', async () => {
    const response = await call(
      `${stack.baseUrl}/v1/datasets`,
      postJsonAs(TEST_KEYS.writer, { name: 'x'.repeat(4096) }),
    );
    assertProblem(response, 413, /too large/i);
  });
});
