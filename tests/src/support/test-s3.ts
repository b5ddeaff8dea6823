// An S3 server for a test file, the first of: a container where a container runtime answers (Ceph
// RGW from ../shared/tools/containers.sh where its image exists locally, else MinIO, pulled), the
// server named by S3_ENDPOINT (with S3_ACCESS_KEY / S3_SECRET_KEY), s3rver on a free port in a temporary
// directory (the last fallback). Every call gets a fresh bucket. `source` says which one ran.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type S3StorageConfig } from '@faceshot/core/config';
import { freePort } from '@faceshot/core/free-port';
import { deletePrefix } from '@faceshot/core/storage/object-store';
import { S3ObjectStore } from '@faceshot/core/storage/s3-object-store';
import { repoRoot } from './datasets.js';
import { pollUntil } from './poll.js';

export interface TestS3 {
  /** Which server this is: 'rgw-container', 'minio-container', 'environment' or 's3rver'. */
  source: string;
  config: S3StorageConfig;
  store: S3ObjectStore;
  /** Taking the server away and back (a container or s3rver; undefined for S3_ENDPOINT). */
  outage?: S3Outage;
  stop(): Promise<void>;
}

/** A storage outage for fault tests: the server stops (as in a crash) and comes back with its data. */
export interface S3Outage {
  /** Kills the server; connections are refused until `up`. Its objects stay on disk. */
  down(): Promise<void>;
  /** Starts the server again on the same port with the same data; resolves once it answers. */
  up(): Promise<void>;
}

interface S3Server {
  source: string;
  endpoint: string;
  accessKey: string;
  secretKey: string;
  outage?: S3Outage;
  stop(): Promise<void>;
}

/** The Ceph RGW image `../shared/tools/containers.sh setup` builds (S3 where MinIO cannot be pulled). */
export const RGW_IMAGE = 'localhost/faceshot-s3:ceph';
const MINIO_IMAGE = 'minio/minio:RELEASE.2025-04-22T22-12-26Z';
const RGW_READY = 's3 ready on port 9000';

/** Resolves once `url` answers HTTP at all (any status), or throws after `timeoutMs`. */
async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  await pollUntil(
    async () => {
      await fetch(url, { signal: AbortSignal.timeout(2_000) });
      return true;
    },
    timeoutMs,
    `${url} to answer`,
    { retryErrors: true },
  );
}

/**
 * Ceph RGW in a container, on a fixed free host port so that the outage (kill, then start the same
 * container again) keeps the endpoint. The entrypoint is deploy/rgw-entrypoint.sh (see why there).
 */
async function rgwContainer(): Promise<S3Server> {
  const { GenericContainer, getContainerRuntimeClient, Wait } = await import('testcontainers');
  const accessKey = 'faceshot-test';
  const secretKey = randomUUID();
  const port = await freePort();
  const container = await new GenericContainer(RGW_IMAGE)
    .withEnvironment({ S3_ACCESS_KEY: accessKey, S3_SECRET_KEY: secretKey })
    .withCopyFilesToContainer([
      {
        source: path.join(repoRoot, 'deploy/rgw-entrypoint.sh'),
        target: '/faceshot/rgw-entrypoint.sh',
        mode: 0o755,
      },
    ])
    .withEntrypoint(['/faceshot/rgw-entrypoint.sh'])
    .withExposedPorts({ container: 9000, host: port })
    .withWaitStrategy(Wait.forLogMessage(RGW_READY))
    .withStartupTimeout(180_000)
    .start();
  const endpoint = `http://${container.getHost()}:${port}`;
  const client = await getContainerRuntimeClient();
  const handle = client.container.getById(container.getId());
  return {
    source: 'rgw-container',
    endpoint,
    accessKey,
    secretKey,
    outage: {
      async down() {
        if (!(await client.container.inspect(handle)).State.Running) return;
        await handle.kill({ signal: 'SIGKILL' });
        await handle.wait();
      },
      async up() {
        if (!(await client.container.inspect(handle)).State.Running) await client.container.start(handle);
        await waitForHttp(`${endpoint}/`, 120_000);
      },
    },
    stop: async () => {
      await container.stop({ timeout: 0 });
    },
  };
}

async function minioContainer(): Promise<S3Server> {
  const { MinioContainer } = await import('@testcontainers/minio');
  const container = await new MinioContainer(MINIO_IMAGE).start();
  return {
    source: 'minio-container',
    endpoint: container.getConnectionUrl(),
    accessKey: container.getUsername(),
    secretKey: container.getPassword(),
    stop: async () => {
      await container.stop();
    },
  };
}

/** A container runtime answers (DOCKER_HOST, the Docker socket, podman's): RGW if its image is here. */
async function containerS3(): Promise<S3Server | undefined> {
  const { getContainerRuntimeClient, ImageName } = await import('testcontainers');
  let client: Awaited<ReturnType<typeof getContainerRuntimeClient>>;
  try {
    client = await getContainerRuntimeClient();
  } catch {
    return undefined;
  }
  if (await client.image.exists(ImageName.fromString(RGW_IMAGE))) return rgwContainer();
  return minioContainer();
}

function environmentS3(): S3Server | undefined {
  const endpoint = process.env.S3_ENDPOINT;
  if (endpoint === undefined || endpoint === '') return undefined;
  return {
    source: 'environment',
    endpoint,
    accessKey: process.env.S3_ACCESS_KEY ?? '',
    secretKey: process.env.S3_SECRET_KEY ?? '',
    stop: async () => undefined,
  };
}

/** Starts s3rver on `port` (0: any free port) serving `directory`; resolves with the port it listens on. */
async function spawnS3rver(directory: string, port: number): Promise<{ child: ChildProcess; port: number }> {
  const bin = createRequire(import.meta.url).resolve('s3rver/bin/s3rver.js');
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', bin, '-d', directory, '-a', '127.0.0.1', '-p', String(port), '--silent'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const listening = await new Promise<number>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`s3rver did not start: ${output}`));
    }, 15_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on [^:]+:(\d+)/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited with ${code}: ${output}`));
    });
  });
  child.stdout.resume();
  child.stderr.resume();
  return { child, port: listening };
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

/**
 * s3rver in a child process. It mints list continuation tokens with DES, which OpenSSL 3 only offers
 * through the legacy provider; a separate process also keeps its event loop apart from the test's.
 */
async function localS3rver(): Promise<S3Server> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'faceshot-s3rver-'));
  const first = await spawnS3rver(directory, 0);
  let child: ChildProcess | undefined = first.child;
  const port = first.port;
  return {
    source: 's3rver',
    endpoint: `http://127.0.0.1:${port}`,
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    outage: {
      async down() {
        if (child !== undefined) await stopChild(child, 'SIGKILL');
        child = undefined;
      },
      async up() {
        if (child !== undefined) return;
        // The port was ours a moment ago; should anything grab it meanwhile, retry for a while.
        for (let attempt = 1; ; attempt++) {
          try {
            child = (await spawnS3rver(directory, port)).child;
            return;
          } catch (error) {
            if (attempt >= 10) throw error;
            await new Promise((resolve) => setTimeout(resolve, 300));
          }
        }
      },
    },
    stop: async () => {
      if (child !== undefined) await stopChild(child, 'SIGTERM');
      child = undefined;
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}

export async function startTestS3(): Promise<TestS3> {
  const server = (await containerS3()) ?? environmentS3() ?? (await localS3rver());
  const bucket = `faceshot-test-${randomUUID().slice(0, 8)}`;
  // Through loadConfig, so the tests exercise the same parsing a deployment does.
  const config = loadConfig({
    STORAGE: 's3',
    S3_ENDPOINT: server.endpoint,
    S3_ACCESS_KEY: server.accessKey,
    S3_SECRET_KEY: server.secretKey,
    S3_BUCKET: bucket,
  }).storage;
  if (config.kind !== 's3') throw new Error('expected an s3 storage config');
  const store = new S3ObjectStore(config);
  await store.ensureBucket();
  return {
    source: server.source,
    config,
    store,
    ...(server.outage === undefined ? {} : { outage: server.outage }),
    async stop() {
      try {
        await deletePrefix(store, '');
      } finally {
        // Even when the bucket cannot be emptied (the server is down), no server is left behind.
        await server.stop();
      }
    },
  };
}
