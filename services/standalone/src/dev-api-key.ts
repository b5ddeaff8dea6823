// `npm start` with no API_KEYS: rather than refusing to start, or starting open, the one-process stack
// makes one admin key and keeps it in DATA_DIR/api-key (mode 0600), like Jupyter's token. The file is
// reused on the next start (delete it for a new key); the CLI reads it from ./data/api-key.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { API_KEY_SECRET_PATTERN, type Config, hashApiKeySecret } from '@faceshot/core/config';
import type { Logger } from '@faceshot/core/logger';

export const DEV_API_KEY_FILE = 'api-key';
export const DEV_API_KEY_NAME = 'standalone';

/** The secret in `file`, or a new one written there (owner read/write only). */
export async function readOrCreateApiKeyFile(file: string): Promise<{ secret: string; created: boolean }> {
  try {
    const existing = (await fs.readFile(file, 'utf8')).trim();
    if (API_KEY_SECRET_PATTERN.test(existing)) {
      // Someone may have loosened it; a key readable by others is no key.
      await fs.chmod(file, 0o600);
      return { secret: existing, created: false };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = randomBytes(32).toString('base64url');
  await fs.mkdir(path.dirname(file), { recursive: true });
  // Written under a temporary name with its mode from the start, then renamed: never readable by others.
  const temporary = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temporary, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  await fs.rename(temporary, file);
  return { secret, created: true };
}

/** The config unchanged, unless the API runs in keys mode without keys: then with the stack's admin key. */
export async function withDevApiKey(config: Config, logger: Logger): Promise<Config> {
  const { gateway } = config;
  if (!config.roles.includes('api') || gateway.auth !== 'keys' || gateway.keys.length > 0) return config;
  const file = path.join(config.dataDir, DEV_API_KEY_FILE);
  const { secret, created } = await readOrCreateApiKeyFile(file);
  logger.info(
    { file, created },
    `no API_KEYS given: the API takes the admin key in ${file}. Send it as "Authorization: Bearer $(cat ${file})"; open the dashboard once with /admin/queues?key=<key>`,
  );
  return {
    ...config,
    gateway: {
      ...gateway,
      keys: [{ name: DEV_API_KEY_NAME, role: 'admin', secretSha256: hashApiKeySecret(secret) }],
    },
  };
}
