// API_AUTH, API_KEYS, RATE_LIMIT_PER_MINUTE, CORS_ORIGINS and METRICS_PUBLIC.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, hashApiKeySecret, loadConfig } from './config.js';

const SECRET = 'abcdefghijklmnop0123456789';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  assert.fail(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('gateway settings', () => {
  it('default to keys mode with no keys, 600 requests a minute, no CORS, public metrics', () => {
    assert.deepEqual(loadConfig({}).gateway, {
      auth: 'keys',
      keys: [],
      rateLimitPerMinute: 600,
      corsOrigins: [],
      metricsPublic: true,
    });
  });

  it('parses API_KEYS into names, roles and secret hashes (never the secret itself)', () => {
    const { keys } = loadConfig({
      API_KEYS: ` ci:write:${SECRET}, dash:read:${SECRET}x ,ops:admin:${SECRET}==,`,
    }).gateway;
    assert.deepEqual(keys, [
      { name: 'ci', role: 'write', secretSha256: hashApiKeySecret(SECRET) },
      { name: 'dash', role: 'read', secretSha256: hashApiKeySecret(`${SECRET}x`) },
      { name: 'ops', role: 'admin', secretSha256: hashApiKeySecret(`${SECRET}==`) },
    ]);
    assert.doesNotMatch(JSON.stringify(keys), new RegExp(SECRET));
  });

  it('names API_KEYS and the entry in errors without echoing a secret', () => {
    const cases: [string, RegExp][] = [
      [`ci:owner:${SECRET}`, /entry 1 \("ci"\): role must be one of read, write, admin/],
      ['ci:write:short', /entry 1 \("ci"\): the secret must be 16-256 characters/],
      [`ci:write:${SECRET} with space`, /the secret must be/],
      [SECRET, /entry 1: must be name:role:secret/],
      [`ci:write:${SECRET},ci:read:${SECRET}x`, /entry 2 \("ci"\): the name is used twice/],
      [`ci:write:${SECRET},cd:read:${SECRET}`, /entry 2 \("cd"\): the secret is used by another key/],
    ];
    for (const [value, message] of cases) {
      const error = configError({ API_KEYS: value });
      assert.equal(error.variable, 'API_KEYS');
      assert.match(error.message, message);
      assert.doesNotMatch(error.message, new RegExp(SECRET));
    }
  });

  it('checks API_AUTH, RATE_LIMIT_PER_MINUTE, CORS_ORIGINS and METRICS_PUBLIC', () => {
    assert.equal(loadConfig({ API_AUTH: 'open' }).gateway.auth, 'open');
    assert.equal(configError({ API_AUTH: 'none' }).variable, 'API_AUTH');
    assert.equal(loadConfig({ RATE_LIMIT_PER_MINUTE: '0' }).gateway.rateLimitPerMinute, 0);
    assert.equal(configError({ RATE_LIMIT_PER_MINUTE: '-1' }).variable, 'RATE_LIMIT_PER_MINUTE');
    assert.deepEqual(
      loadConfig({ CORS_ORIGINS: 'https://a.example/, http://localhost:5173' }).gateway.corsOrigins,
      ['https://a.example', 'http://localhost:5173'],
    );
    assert.deepEqual(loadConfig({ CORS_ORIGINS: '*' }).gateway.corsOrigins, ['*']);
    for (const bad of ['a.example', 'https://a.example/app', 'ftp://a.example']) {
      assert.equal(configError({ CORS_ORIGINS: bad }).variable, 'CORS_ORIGINS', bad);
    }
    assert.equal(loadConfig({ METRICS_PUBLIC: 'false' }).gateway.metricsPublic, false);
    assert.equal(loadConfig({ METRICS_PUBLIC: 'yes' }).gateway.metricsPublic, true);
    assert.equal(configError({ METRICS_PUBLIC: 'maybe' }).variable, 'METRICS_PUBLIC');
  });
});
