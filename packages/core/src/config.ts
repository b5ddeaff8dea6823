// The only module that interprets the environment. Each process's main calls `loadConfig(process.env)`
// once and passes the result down; nothing else reads `process.env`.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_DETECTOR, DETECTOR_NAMES, type DetectorName } from './engines/detector-name.js';
import { FACEAPI_ENGINE, type FaceEngineId, isFaceEngineId } from './engines/face-engine-id.js';

export const ROLES = ['api', 'downloader', 'extractor', 'pairs', 'trainer', 'predictor'] as const;
export type Role = (typeof ROLES)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface RedisConfig {
  url: string;
  /** False when REDIS_URL was not set: the one-process stack may then start a private redis-server. */
  urlFromEnv: boolean;
  /** Key prefix for every queue key; one per deployment. */
  prefix: string;
}

export interface FsStorageConfig {
  kind: 'fs';
  dir: string;
}

export interface S3StorageConfig {
  kind: 's3';
  endPoint: string;
  port: number;
  useSSL: boolean;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region: string;
}

export type StorageConfig = FsStorageConfig | S3StorageConfig;

export interface Limits {
  /** Largest accepted uploaded or downloaded image file, in bytes. */
  imageMaxBytes: number;
  /** Largest accepted image in pixels (width × height): guards against decompression bombs. */
  imageMaxPixels: number;
  /** Most files accepted in one upload request. */
  uploadMaxFiles: number;
  /** Largest JSON request body, in bytes. */
  jsonBodyMaxBytes: number;
}

export const API_KEY_ROLES = ['read', 'write', 'admin'] as const;
/** read: GET/HEAD under /v1; write: every method under /v1; admin: also /admin. */
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

export interface ApiKey {
  /** Names the caller in logs and rate-limit buckets; never a secret. */
  name: string;
  role: ApiKeyRole;
  /** SHA-256 of the secret, hex: the config never holds the secret itself, so logging it leaks nothing. */
  secretSha256: string;
}

export interface GatewayConfig {
  /** `open` turns authentication off (development only); `keys` requires a bearer key on /v1 and /admin. */
  auth: 'keys' | 'open';
  keys: ApiKey[];
  /** Requests per minute per API key (per client address in open mode); 0 turns the limit off. */
  rateLimitPerMinute: number;
  /** Origins allowed to call the API from a browser; empty: no CORS headers at all. `*` allows any. */
  corsOrigins: string[];
  /** False: /metrics needs an API key too. */
  metricsPublic: boolean;
}

export interface DownloadConfig {
  /** Jobs one downloader process runs at once. */
  concurrency: number;
  connectTimeoutMs: number;
  /** Whole request, redirects included. */
  totalTimeoutMs: number;
  maxRedirects: number;
  /** Requests in flight to one host from one process. */
  perHostConcurrency: number;
  /** Least time between two request starts to one host from one process. */
  perHostIntervalMs: number;
  /** CIDRs the SSRF guard lets through although they are private, loopback, etc. Empty by default. */
  allowCidrs: string[];
  userAgent: string;
  /** Wikimedia Commons API endpoint for name searches. */
  wikimediaApiUrl: string;
}

export interface ExtractConfig {
  /** Worker threads running face detection in one extractor process (one per core by default). */
  threads: number;
  /**
   * What describes a dataset's faces when an extraction request names no engine (EXTRACT_ENGINE):
   * face-api (after `detector`) or an installed ONNX model `onnx-<name>`.
   */
  engine: FaceEngineId;
  /** Finds the faces (face-api then gives landmarks and descriptors); also the baseline model's. */
  detector: DetectorName;
  minConfidence: number;
  /** Side of the aligned colour face crop, pixels. */
  faceSize: number;
  /** Side of the grey training input, pixels (the seed network takes 80). */
  graySize: number;
  /** Border around the face box in the crop, as a share of its side. */
  margin: number;
  /** Faces kept per identity by curation (the original project kept 20). */
  keepPerIdentity: number;
  /**
   * Where operator-installed ONNX face models live (ONNX_MODELS_DIR): each sub-folder with a valid
   * manifest.json and its .onnx files is the built-in model `onnx-<folder>`. Unset: no ONNX models.
   */
  onnxModelsDir: string | undefined;
  /**
   * ONNX_MODELS_FROM_STORE: mirror the models pushed to the object store (`onnx-models/<name>/`)
   * into onnxModelsDir (default <DATA_DIR>/onnx-models, created) at start and every
   * onnxModelsSyncIntervalMs, so workers on other hosts need no shared folder.
   */
  onnxModelsFromStore: boolean;
  onnxModelsSyncIntervalMs: number;
}

export interface Config {
  roles: Role[];
  dataDir: string;
  /** PATH, where the one-process stack looks for redis-server. */
  executableSearchPath: string;
  redis: RedisConfig;
  storage: StorageConfig;
  /** eventsIntervalMs: how often a Server-Sent Events stream re-reads the state it reports. */
  api: ApiServerConfig;
  gateway: GatewayConfig;
  log: { level: LogLevel; format: 'json' | 'pretty' | 'auto' };
  jobs: { attempts: number; backoffMs: number; workerConcurrency: number; lockDurationMs: number };
  shutdownGraceMs: number;
  limits: Limits;
  download: DownloadConfig;
  extract: ExtractConfig;
  predict: PredictConfig;
  train: TrainConfig;
  /** Where uploads and downloads are spooled while they are hashed and checked. */
  tempDir: string;
}

export interface ApiServerConfig {
  host: string;
  port: number;
  eventsIntervalMs: number;
  /** A request's headers must arrive within this (else 408 and the connection is closed). */
  headersTimeoutMs: number;
  /** A whole request, headers and body, must arrive within this (else 408): slow-drip bodies end here. */
  requestTimeoutMs: number;
  /** An upload that sends no bytes for this long, or ends without its closing boundary, fails (408/400). */
  bodyIdleTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
}

export interface TrainConfig {
  /**
   * The fast training kernels on the WebAssembly backend (fast-training-kernels.ts); false runs the
   * stock tfjs kernels and layers, as before issue 17. Other backends (tfjs-node, GPU) never use them.
   */
  fastKernels: boolean;
  /**
   * Threads one seed training step is split between (data parallel, averaged gradients), with the
   * fast kernels only. One per core by default: on an otherwise idle 2-core machine two threads
   * trained 1.9× as fast as one (bench/results/2026-11-30-train-quiet.json); where other work shares
   * the cores the second thread can lose (issue-17-train.json), so set 1 there.
   */
  threads: number;
}

export interface PredictConfig {
  /** Face-detection threads of one predictor process. */
  threads: number;
  /** How long the API waits for an identify/verify/enrol job before answering 504. */
  timeoutMs: number;
  /** Models (with their galleries) a predictor keeps loaded; least recently used ones are dropped. */
  cacheModels: number;
  /** Distance threshold of the faceapi-baseline model (face-api's documented 0.6). */
  baselineThreshold: number;
  /** Galleries with at least this many photos are searched with the approximate (HNSW) index. */
  annMinPhotos: number;
}

/** A bad environment variable; the message names it and says what is expected. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`${variable}: ${detail}`);
    this.name = 'ConfigError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

function text(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? fallback : raw.trim();
}

/** An existing directory (resolved against cwd), or undefined when the variable is unset. */
function optionalDirectory(env: Env, name: string, cwd: string): string | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  const directory = path.resolve(cwd, raw);
  if (!fs.statSync(directory, { throwIfNoEntry: false })?.isDirectory())
    throw new ConfigError(name, `must be an existing directory (got "${raw}")`);
  return directory;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw.trim());
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `must be an integer from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = text(env, name, fallback);
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')} (got "${raw}")`);
  }
  return raw as T;
}

function faceEngine(env: Env, name: string): FaceEngineId {
  const raw = text(env, name, FACEAPI_ENGINE);
  if (!isFaceEngineId(raw))
    throw new ConfigError(name, `must be ${FACEAPI_ENGINE} or onnx-<model folder name> (got "${raw}")`);
  return raw;
}

function required(env: Env, name: string, why: string): string {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') throw new ConfigError(name, `is required ${why}`);
  return raw.trim();
}

function redisUrl(env: Env): { url: string; urlFromEnv: boolean } {
  const raw = env.REDIS_URL;
  if (raw === undefined || raw.trim() === '') return { url: 'redis://127.0.0.1:6379', urlFromEnv: false };
  let parsed: URL;
  try {
    parsed = new URL(raw.trim());
  } catch {
    throw new ConfigError('REDIS_URL', `must be a URL like redis://host:6379 (got "${raw}")`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new ConfigError('REDIS_URL', `must use redis:// or rediss:// (got "${raw}")`);
  }
  if (parsed.hostname === '') throw new ConfigError('REDIS_URL', `has no host (got "${raw}")`);
  if (parsed.port !== '') integer({ REDIS_URL: parsed.port }, 'REDIS_URL', 6379, 1, 65535);
  return { url: parsed.toString(), urlFromEnv: true };
}

function s3Storage(env: Env): S3StorageConfig {
  const why = 'when STORAGE=s3';
  const raw = required(env, 'S3_ENDPOINT', why);
  let endpoint: URL;
  try {
    endpoint = new URL(raw);
  } catch {
    throw new ConfigError('S3_ENDPOINT', `must be a URL like http://minio:9000 (got "${raw}")`);
  }
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') {
    throw new ConfigError('S3_ENDPOINT', `must use http:// or https:// (got "${raw}")`);
  }
  const useSSL = endpoint.protocol === 'https:';
  const port =
    endpoint.port === ''
      ? useSSL
        ? 443
        : 80
      : integer({ S3_ENDPOINT: endpoint.port }, 'S3_ENDPOINT', 80, 1, 65535);
  const bucket = text(env, 'S3_BUCKET', 'faceshot');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new ConfigError('S3_BUCKET', `must be a valid S3 bucket name (got "${bucket}")`);
  }
  return {
    kind: 's3',
    endPoint: endpoint.hostname,
    port,
    useSSL,
    accessKey: required(env, 'S3_ACCESS_KEY', why),
    secretKey: required(env, 'S3_SECRET_KEY', why),
    bucket,
    region: text(env, 'S3_REGION', 'us-east-1'),
  };
}

function roles(env: Env): Role[] {
  const raw = text(env, 'ROLES', ROLES.join(','));
  const names = raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (names.length === 0) throw new ConfigError('ROLES', `must name at least one of ${ROLES.join(', ')}`);
  for (const name of names) {
    if (!(ROLES as readonly string[]).includes(name)) {
      throw new ConfigError('ROLES', `unknown role "${name}"; known roles: ${ROLES.join(', ')}`);
    }
  }
  return [...new Set(names)] as Role[];
}

function cidrList(env: Env, name: string): string[] {
  const raw = text(env, name, '');
  if (raw === '') return [];
  return raw.split(',').map((part) => {
    const cidr = part.trim();
    const [address, bits] = cidr.includes('/') ? cidr.split('/') : [cidr, undefined];
    const ipv4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(address ?? '');
    const ipv6 = (address ?? '').includes(':');
    const maxBits = ipv4 ? 32 : 128;
    const bitsOk = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits);
    if (!(ipv4 || ipv6) || !bitsOk) {
      throw new ConfigError(name, `must be a comma-separated list of IP addresses or CIDRs (got "${cidr}")`);
    }
    return bits === undefined ? `${address}/${maxBits}` : cidr;
  });
}

function decimal(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw.trim());
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(name, `must be a number from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

function httpUrl(env: Env, name: string, fallback: string): string {
  const raw = text(env, name, fallback);
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
    return url.toString();
  } catch {
    throw new ConfigError(name, `must be an http:// or https:// URL (got "${raw}")`);
  }
}

/** What a bearer token may hold (RFC 6750 b64token), at least 16 characters. */
export const API_KEY_SECRET_PATTERN = /^[A-Za-z0-9._~+/-]{16,256}=*$/;

export function hashApiKeySecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** API_KEYS: comma-separated `name:role:secret`. Errors name the entry, never echo its secret. */
function apiKeys(env: Env): ApiKey[] {
  const entries = text(env, 'API_KEYS', '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const names = new Set<string>();
  const digests = new Set<string>();
  return entries.map((entry, index) => {
    const [name = '', role = '', ...rest] = entry.split(':');
    const secret = rest.join(':');
    // Only a well-formed name is echoed: a pasted bare secret must not end up in a log.
    const namePattern = /^[A-Za-z0-9_.-]{1,64}$/;
    if (rest.length === 0 || !namePattern.test(name)) {
      throw new ConfigError(
        'API_KEYS',
        `entry ${index + 1}: must be name:role:secret with a name of 1-64 letters, digits, "_", "." or "-"`,
      );
    }
    const where = `entry ${index + 1} ("${name}")`;
    if (!(API_KEY_ROLES as readonly string[]).includes(role)) {
      throw new ConfigError('API_KEYS', `${where}: role must be one of ${API_KEY_ROLES.join(', ')}`);
    }
    if (!API_KEY_SECRET_PATTERN.test(secret)) {
      throw new ConfigError(
        'API_KEYS',
        `${where}: the secret must be 16-256 characters from A-Z a-z 0-9 . _ ~ + / - (e.g. openssl rand -hex 32)`,
      );
    }
    const secretSha256 = hashApiKeySecret(secret);
    if (names.has(name)) throw new ConfigError('API_KEYS', `${where}: the name is used twice`);
    if (digests.has(secretSha256))
      throw new ConfigError('API_KEYS', `${where}: the secret is used by another key`);
    names.add(name);
    digests.add(secretSha256);
    return { name, role: role as ApiKeyRole, secretSha256 };
  });
}

function origins(env: Env, name: string): string[] {
  const raw = text(env, name, '');
  if (raw === '') return [];
  return raw.split(',').map((part) => {
    const origin = part.trim().replace(/\/$/, '');
    if (origin === '*') return origin;
    try {
      const url = new URL(origin);
      if ((url.protocol === 'http:' || url.protocol === 'https:') && url.origin === origin) return origin;
    } catch {
      // reported below
    }
    throw new ConfigError(
      name,
      `must be * or a comma-separated list of origins like https://app.example.org (got "${part.trim()}")`,
    );
  });
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = text(env, name, fallback ? 'true' : 'false').toLowerCase();
  if (['true', '1', 'yes'].includes(raw)) return true;
  if (['false', '0', 'no'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false (got "${raw}")`);
}

function gateway(env: Env): GatewayConfig {
  return {
    auth: oneOf(env, 'API_AUTH', ['keys', 'open'], 'keys'),
    keys: apiKeys(env),
    rateLimitPerMinute: integer(env, 'RATE_LIMIT_PER_MINUTE', 600, 0, 1_000_000),
    corsOrigins: origins(env, 'CORS_ORIGINS'),
    metricsPublic: flag(env, 'METRICS_PUBLIC', true),
  };
}

function apiServer(env: Env): ApiServerConfig {
  const requestTimeoutMs = integer(env, 'API_REQUEST_TIMEOUT_MS', 120_000, 100, 3_600_000);
  const headersTimeoutMs = integer(env, 'API_HEADERS_TIMEOUT_MS', 20_000, 100, 600_000);
  // Node refuses a headers timeout longer than the request timeout (headers are part of the request).
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError(
      'API_HEADERS_TIMEOUT_MS',
      `must not exceed API_REQUEST_TIMEOUT_MS (${requestTimeoutMs}; got ${headersTimeoutMs})`,
    );
  }
  return {
    host: text(env, 'API_HOST', '127.0.0.1'),
    port: integer(env, 'API_PORT', 3000, 1, 65535),
    eventsIntervalMs: integer(env, 'EVENTS_INTERVAL_MS', 500, 50, 60_000),
    headersTimeoutMs,
    requestTimeoutMs,
    bodyIdleTimeoutMs: integer(env, 'API_BODY_IDLE_TIMEOUT_MS', 15_000, 50, 600_000),
    keepAliveTimeoutMs: integer(env, 'API_KEEP_ALIVE_TIMEOUT_MS', 72_000, 100, 3_600_000),
  };
}

const MiB = 1024 * 1024;

/** Reads and validates every setting. Throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env, cwd: string = process.cwd()): Config {
  const dataDir = path.resolve(cwd, text(env, 'DATA_DIR', 'data'));
  // The mirror writes the folder, so it need not exist yet.
  const onnxModelsFromStore = flag(env, 'ONNX_MODELS_FROM_STORE', false);
  const storageKind = oneOf(env, 'STORAGE', ['fs', 's3'], 'fs');
  const storage: StorageConfig =
    storageKind === 's3'
      ? s3Storage(env)
      : { kind: 'fs', dir: path.resolve(cwd, text(env, 'STORAGE_DIR', path.join(dataDir, 'objects'))) };
  const prefix = text(env, 'REDIS_PREFIX', 'faceshot');
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(prefix)) {
    throw new ConfigError('REDIS_PREFIX', `must be 1-64 letters, digits, "_", "." or "-" (got "${prefix}")`);
  }
  return {
    roles: roles(env),
    dataDir,
    executableSearchPath: env.PATH ?? '',
    redis: { ...redisUrl(env), prefix },
    storage,
    api: apiServer(env),
    gateway: gateway(env),
    log: {
      level: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
      format: oneOf(env, 'LOG_FORMAT', ['json', 'pretty', 'auto'], 'auto'),
    },
    jobs: {
      attempts: integer(env, 'JOB_ATTEMPTS', 3, 1, 100),
      backoffMs: integer(env, 'JOB_BACKOFF_MS', 2000, 0, 3_600_000),
      workerConcurrency: integer(env, 'WORKER_CONCURRENCY', 1, 1, 256),
      lockDurationMs: integer(env, 'JOB_LOCK_MS', 60_000, 5_000, 3_600_000),
    },
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 8_000, 0, 600_000),
    limits: {
      imageMaxBytes: integer(env, 'IMAGE_MAX_BYTES', 10 * MiB, 1024, 1024 * MiB),
      imageMaxPixels: integer(env, 'IMAGE_MAX_PIXELS', 40_000_000, 1, 1_000_000_000),
      uploadMaxFiles: integer(env, 'UPLOAD_MAX_FILES', 1000, 1, 100_000),
      jsonBodyMaxBytes: integer(env, 'JSON_BODY_MAX_BYTES', MiB, 1024, 64 * MiB),
    },
    download: {
      concurrency: integer(env, 'DOWNLOAD_CONCURRENCY', 4, 1, 256),
      connectTimeoutMs: integer(env, 'DOWNLOAD_CONNECT_TIMEOUT_MS', 5_000, 100, 120_000),
      totalTimeoutMs: integer(env, 'DOWNLOAD_TIMEOUT_MS', 30_000, 100, 600_000),
      maxRedirects: integer(env, 'DOWNLOAD_MAX_REDIRECTS', 5, 0, 20),
      perHostConcurrency: integer(env, 'DOWNLOAD_PER_HOST_CONCURRENCY', 2, 1, 64),
      perHostIntervalMs: integer(env, 'DOWNLOAD_PER_HOST_INTERVAL_MS', 100, 0, 60_000),
      allowCidrs: cidrList(env, 'DOWNLOAD_ALLOW_CIDRS'),
      userAgent: text(env, 'DOWNLOAD_USER_AGENT', 'faceshot/0.1 (one-shot face recognition; self-hosted)'),
      wikimediaApiUrl: httpUrl(env, 'WIKIMEDIA_API_URL', 'https://commons.wikimedia.org/w/api.php'),
    },
    extract: {
      threads: integer(env, 'EXTRACT_THREADS', Math.max(1, os.availableParallelism()), 1, 64),
      engine: faceEngine(env, 'EXTRACT_ENGINE'),
      detector: oneOf(env, 'EXTRACT_DETECTOR', DETECTOR_NAMES, DEFAULT_DETECTOR),
      minConfidence: decimal(env, 'EXTRACT_MIN_CONFIDENCE', 0.5, 0.05, 0.99),
      faceSize: integer(env, 'FACE_SIZE', 160, 32, 1024),
      graySize: integer(env, 'GRAY_SIZE', 80, 16, 512),
      margin: decimal(env, 'FACE_MARGIN', 0.3, 0, 2),
      keepPerIdentity: integer(env, 'CURATE_KEEP_PER_IDENTITY', 20, 1, 10_000),
      onnxModelsDir: onnxModelsFromStore
        ? path.resolve(cwd, text(env, 'ONNX_MODELS_DIR', path.join(dataDir, 'onnx-models')))
        : optionalDirectory(env, 'ONNX_MODELS_DIR', cwd),
      onnxModelsFromStore,
      onnxModelsSyncIntervalMs: integer(env, 'ONNX_MODELS_SYNC_INTERVAL_MS', 60_000, 1_000, 86_400_000),
    },
    predict: {
      threads: integer(env, 'PREDICT_THREADS', Math.max(1, os.availableParallelism()), 1, 64),
      timeoutMs: integer(env, 'PREDICT_TIMEOUT_MS', 30_000, 100, 600_000),
      cacheModels: integer(env, 'PREDICT_CACHE_MODELS', 8, 1, 1000),
      baselineThreshold: decimal(env, 'BASELINE_THRESHOLD', 0.6, 0.01, 2),
      annMinPhotos: integer(env, 'GALLERY_ANN_MIN_PHOTOS', 20_000, 1, 100_000_000),
    },
    train: {
      fastKernels: flag(env, 'TRAIN_FAST_KERNELS', true),
      threads: integer(env, 'TRAIN_THREADS', Math.max(1, os.availableParallelism()), 1, 16),
    },
    tempDir: path.resolve(cwd, text(env, 'TEMP_DIR', os.tmpdir())),
  };
}
