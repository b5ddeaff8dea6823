// An S3 server for a test file: MinIO in a container where a container runtime answers, else the
// server named by S3_ENDPOINT (with S3_ACCESS_KEY / S3_SECRET_KEY), else s3rver on a free port in a
// temporary directory. Every call gets a fresh bucket.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type S3StorageConfig } from '@faceshot/shared/config';
import { deletePrefix } from '@faceshot/shared/storage/object-store';
import { S3ObjectStore } from '@faceshot/shared/storage/s3-object-store';

export interface TestS3 {
  /** Which server this is: 'minio-container', 'environment' or 's3rver'. */
  source: string;
  config: S3StorageConfig;
  store: S3ObjectStore;
  stop(): Promise<void>;
}

interface S3Server {
  source: string;
  endpoint: string;
  accessKey: string;
  secretKey: string;
  stop(): Promise<void>;
}

async function containerMinio(): Promise<S3Server | undefined> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch {
    return undefined;
  }
  const { MinioContainer } = await import('@testcontainers/minio');
  const container = await new MinioContainer('minio/minio:RELEASE.2025-04-22T22-12-26Z').start();
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

/**
 * s3rver in a child process. It mints list continuation tokens with DES, which OpenSSL 3 only offers
 * through the legacy provider; a separate process also keeps its event loop apart from the test's.
 */
async function localS3rver(): Promise<S3Server> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'faceshot-s3rver-'));
  const bin = createRequire(import.meta.url).resolve('s3rver/bin/s3rver.js');
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', bin, '-d', directory, '-a', '127.0.0.1', '-p', '0', '--silent'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`s3rver did not start: ${output}`)), 15_000);
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
  return {
    source: 's3rver',
    endpoint: `http://127.0.0.1:${port}`,
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}

export async function startTestS3(): Promise<TestS3> {
  const server = (await containerMinio()) ?? environmentS3() ?? (await localS3rver());
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
    async stop() {
      await deletePrefix(store, '');
      await server.stop();
    },
  };
}
