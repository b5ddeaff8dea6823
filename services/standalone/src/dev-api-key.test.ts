import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { API_KEY_SECRET_PATTERN, hashApiKeySecret, loadConfig } from '@faceshot/core/config';
import { createLogger } from '@faceshot/core/logger';
import { readOrCreateApiKeyFile, withDevApiKey } from './dev-api-key.js';

const logger = createLogger({ level: 'silent', format: 'json' });

describe('the one-process stack API key', () => {
  const directories: string[] = [];
  const tempDir = async () => {
    const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'faceshot-dev-key-'));
    directories.push(directory);
    return directory;
  };
  after(async () => {
    await Promise.all(directories.map((directory) => fs.rm(directory, { recursive: true, force: true })));
  });

  it('writes a random key readable only by its owner, and reuses it on the next start', async () => {
    const file = path.join(await tempDir(), 'nested', 'api-key');
    const first = await readOrCreateApiKeyFile(file);
    assert.equal(first.created, true);
    assert.match(first.secret, API_KEY_SECRET_PATTERN);
    assert.ok(first.secret.length >= 40, 'at least 32 random bytes');
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
    assert.equal((await fs.readFile(file, 'utf8')).trim(), first.secret);

    const second = await readOrCreateApiKeyFile(file);
    assert.deepEqual(second, { secret: first.secret, created: false });

    await fs.chmod(file, 0o644);
    await readOrCreateApiKeyFile(file);
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600, 'a loosened file is tightened again');

    const other = await readOrCreateApiKeyFile(path.join(await tempDir(), 'api-key'));
    assert.notEqual(other.secret, first.secret);
  });

  it('replaces a file that holds no usable key', async () => {
    const file = path.join(await tempDir(), 'api-key');
    await fs.writeFile(file, 'short\n');
    const result = await readOrCreateApiKeyFile(file);
    assert.equal(result.created, true);
    assert.match(result.secret, API_KEY_SECRET_PATTERN);
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
  });

  it('gives the API an admin key from DATA_DIR/api-key only when none is configured', async () => {
    const dataDir = await tempDir();
    const config = await withDevApiKey(loadConfig({ DATA_DIR: dataDir }), logger);
    const secret = (await fs.readFile(path.join(dataDir, 'api-key'), 'utf8')).trim();
    assert.deepEqual(config.gateway.keys, [
      { name: 'standalone', role: 'admin', secretSha256: hashApiKeySecret(secret) },
    ]);

    for (const env of [
      { API_KEYS: 'ci:write:abcdefghijklmnop0123' },
      { API_AUTH: 'open' },
      { ROLES: 'extractor' },
    ]) {
      const untouched = loadConfig({ DATA_DIR: path.join(dataDir, 'other'), ...env });
      assert.equal(await withDevApiKey(untouched, logger), untouched, JSON.stringify(env));
    }
    await assert.rejects(fs.stat(path.join(dataDir, 'other', 'api-key')), { code: 'ENOENT' });
  });
});
