import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isUnreachableError } from './stage-worker.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isUnreachableError', () => {
  it('recognises connection errors, also as a cause', () => {
    assert.equal(isUnreachableError(withCode('connect ECONNREFUSED 127.0.0.1:9000', 'ECONNREFUSED')), true);
    assert.equal(
      isUnreachableError(new Error('storage put failed', { cause: withCode('reset', 'ECONNRESET') })),
      true,
    );
  });

  it('leaves every other error to the normal retry rules', () => {
    assert.equal(isUnreachableError(withCode('no such file', 'ENOENT')), false);
    assert.equal(isUnreachableError(new Error('ECONNREFUSED mentioned only in a message')), false);
    assert.equal(isUnreachableError('a string'), false);
  });
});
