import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assertValidIdentity,
  assertValidKey,
  assertValidPrefix,
  InvalidKeyError,
  storageKeys,
} from './keys.js';

const SHA = 'a'.repeat(64);

describe('storage keys', () => {
  it('builds the layout of docs/architecture.md', () => {
    assert.equal(storageKeys.raw('ds_1', 'Kim Yuna', SHA, 'jpg'), `datasets/ds_1/raw/Kim Yuna/${SHA}.jpg`);
    assert.equal(storageKeys.gray('ds_1', 'iu', SHA), `datasets/ds_1/gray/iu/${SHA}.png`);
    assert.equal(storageKeys.pairsFile('p1', 'x1.npy'), 'pairs/p1/x1.npy');
    assert.equal(storageKeys.modelFile('m1', 'card.json'), 'models/m1/card.json');
    assert.equal(storageKeys.galleryPhoto('m1', 'p1'), 'galleries/m1/p1.png');
    assert.equal(storageKeys.upload('u1', 'jpg'), 'uploads/u1.jpg');
    assert.throws(() => storageKeys.upload('../u1', 'jpg'));
    assert.throws(() => storageKeys.galleryPhoto('m1', 'a/b'));
  });

  it('rejects identities that could escape or hide', () => {
    for (const identity of [
      '',
      '.',
      '..',
      '../x',
      'a/b',
      'a\\b',
      '.hidden',
      ' padded',
      'tab\tname',
      'nul\u0000',
      'x'.repeat(129),
    ]) {
      assert.throws(() => assertValidIdentity(identity), InvalidKeyError, JSON.stringify(identity));
      assert.throws(
        () => storageKeys.raw('ds1', identity, SHA, 'jpg'),
        InvalidKeyError,
        JSON.stringify(identity),
      );
    }
    assertValidIdentity('Kim Yuna 김연아');
    assertValidIdentity("O'Brien-Smith Jr.");
  });

  it('rejects bad ids, digests and extensions', () => {
    assert.throws(() => storageKeys.raw('..', 'iu', SHA, 'jpg'), InvalidKeyError);
    assert.throws(() => storageKeys.raw('ds1', 'iu', 'ABC', 'jpg'), InvalidKeyError);
    assert.throws(() => storageKeys.raw('ds1', 'iu', SHA, 'j/pg'), InvalidKeyError);
    assert.throws(() => storageKeys.modelFile('a/b', 'card.json'), InvalidKeyError);
  });

  it('checks keys and prefixes part by part', () => {
    assertValidKey('a/b/c.txt');
    assert.throws(() => assertValidKey('a//b'), /empty part/);
    assert.throws(() => assertValidKey('a/b/'), /empty part/);
    assert.throws(() => assertValidKey('\u007f'), /control character/);
    assert.throws(() => assertValidKey('x'.repeat(1025)), /over 1024 bytes/);
    assertValidPrefix('');
    assertValidPrefix('datasets/');
    assertValidPrefix('datasets/ds1/raw/Ki');
    assert.throws(() => assertValidPrefix('datasets/..'), InvalidKeyError);
    assert.throws(() => assertValidPrefix('/datasets'), InvalidKeyError);
  });
});
