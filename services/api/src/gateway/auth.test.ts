import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashApiKeySecret } from '@faceshot/core/config';
import { ApiKeyring } from './auth.js';

const keyring = new ApiKeyring([
  { name: 'ci', role: 'write', secretSha256: hashApiKeySecret('ci-secret-0123456789') },
  { name: 'ops', role: 'admin', secretSha256: hashApiKeySecret('ops-secret-0123456789') },
]);

describe('ApiKeyring', () => {
  it('finds the key by its secret, and nothing for any other string', () => {
    assert.deepEqual(keyring.bySecret('ci-secret-0123456789'), { name: 'ci', role: 'write' });
    assert.deepEqual(keyring.bySecret('ops-secret-0123456789'), { name: 'ops', role: 'admin' });
    for (const wrong of ['', 'ci', 'ci-secret-012345678', 'ci-secret-01234567890', 'ci']) {
      assert.equal(keyring.bySecret(wrong), undefined, wrong);
    }
  });

  it('derives a cookie value that is not the secret and is not accepted as one', () => {
    const cookie = keyring.cookieFor('ops-secret-0123456789') ?? '';
    assert.notEqual(cookie, '');
    assert.ok(!cookie.includes('ops-secret'));
    assert.deepEqual(keyring.byCookie(cookie), { name: 'ops', role: 'admin' });
    assert.equal(keyring.bySecret(cookie), undefined);
    assert.equal(keyring.byCookie('ops-secret-0123456789'), undefined);
    assert.equal(keyring.cookieFor('nope'), undefined);
  });
});
