import assert from 'node:assert/strict';
import os from 'node:os';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.js';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env, '/srv/faceshot');
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  assert.fail(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('gives working defaults for a single machine', () => {
    const config = loadConfig({}, '/srv/faceshot');
    assert.deepEqual(config.roles, ['api', 'downloader', 'extractor', 'pairs', 'trainer', 'predictor']);
    assert.deepEqual(config.redis, { url: 'redis://127.0.0.1:6379', urlFromEnv: false, prefix: 'faceshot' });
    assert.deepEqual(config.storage, { kind: 'fs', dir: '/srv/faceshot/data/objects' });
    assert.deepEqual(config.api, {
      host: '127.0.0.1',
      port: 3000,
      eventsIntervalMs: 500,
      headersTimeoutMs: 20_000,
      requestTimeoutMs: 120_000,
      bodyIdleTimeoutMs: 15_000,
      keepAliveTimeoutMs: 72_000,
    });
    assert.equal(config.limits.imageMaxBytes, 10 * 1024 * 1024);
    assert.deepEqual(config.train, { fastKernels: true, threads: Math.max(1, os.availableParallelism()) });
  });

  it('reads the training switches: TRAIN_FAST_KERNELS, TRAIN_THREADS', () => {
    assert.equal(loadConfig({ TRAIN_FAST_KERNELS: 'false' }).train.fastKernels, false);
    assert.equal(configError({ TRAIN_FAST_KERNELS: 'sometimes' }).variable, 'TRAIN_FAST_KERNELS');
    assert.equal(loadConfig({ TRAIN_THREADS: '2' }).train.threads, 2);
    assert.equal(loadConfig({}).train.threads, Math.max(1, os.availableParallelism()));
    assert.equal(configError({ TRAIN_THREADS: '0' }).variable, 'TRAIN_THREADS');
  });

  it('reads S3 settings and splits the endpoint URL', () => {
    const config = loadConfig({
      STORAGE: 's3',
      S3_ENDPOINT: 'https://minio.internal:9443',
      S3_ACCESS_KEY: 'ak',
      S3_SECRET_KEY: 'sk',
      S3_BUCKET: 'faces',
    });
    assert.deepEqual(config.storage, {
      kind: 's3',
      endPoint: 'minio.internal',
      port: 9443,
      useSSL: true,
      accessKey: 'ak',
      secretKey: 'sk',
      bucket: 'faces',
      region: 'us-east-1',
    });
  });

  it('names the variable in every error', () => {
    assert.equal(configError({ REDIS_URL: 'notaurl' }).variable, 'REDIS_URL');
    assert.equal(configError({ REDIS_URL: 'http://redis:6379' }).variable, 'REDIS_URL');
    assert.equal(configError({ API_PORT: '70000' }).variable, 'API_PORT');
    assert.equal(configError({ API_PORT: '3.5' }).variable, 'API_PORT');
    assert.equal(configError({ API_REQUEST_TIMEOUT_MS: 'soon' }).variable, 'API_REQUEST_TIMEOUT_MS');
    assert.equal(
      configError({ API_REQUEST_TIMEOUT_MS: '1000', API_HEADERS_TIMEOUT_MS: '2000' }).variable,
      'API_HEADERS_TIMEOUT_MS',
    );
    assert.equal(configError({ LOG_LEVEL: 'loud' }).variable, 'LOG_LEVEL');
    assert.equal(configError({ ROLES: 'api,chef' }).variable, 'ROLES');
    assert.equal(configError({ STORAGE: 'tape' }).variable, 'STORAGE');
    assert.equal(configError({ STORAGE: 's3' }).variable, 'S3_ENDPOINT');
    assert.equal(configError({ STORAGE: 's3', S3_ENDPOINT: 'http://m:9000' }).variable, 'S3_ACCESS_KEY');
    assert.equal(
      configError({
        STORAGE: 's3',
        S3_ENDPOINT: 'http://m:9000',
        S3_ACCESS_KEY: 'a',
        S3_SECRET_KEY: 'b',
        S3_BUCKET: 'No_Caps',
      }).variable,
      'S3_BUCKET',
    );
    assert.equal(configError({ REDIS_PREFIX: 'has space' }).variable, 'REDIS_PREFIX');
    assert.match(
      configError({ API_PORT: '70000' }).message,
      /^API_PORT: must be an integer from 1 to 65535 \(got "70000"\)$/,
    );
  });

  it('reads ONNX_MODELS_DIR as an existing folder, or none', () => {
    assert.equal(loadConfig({}).extract.onnxModelsDir, undefined);
    assert.equal(loadConfig({ ONNX_MODELS_DIR: '.' }, os.tmpdir()).extract.onnxModelsDir, os.tmpdir());
    assert.throws(
      () => loadConfig({ ONNX_MODELS_DIR: '/no/such/folder' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message === 'ONNX_MODELS_DIR: must be an existing directory (got "/no/such/folder")',
    );
  });

  it('accepts a role subset and removes repeats', () => {
    assert.deepEqual(loadConfig({ ROLES: 'extractor, extractor,api' }).roles, ['extractor', 'api']);
  });
});
