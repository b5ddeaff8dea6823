import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ID_PATTERN, newId, relatedId } from './ids.js';

it('mints ids of the kind, 16 random hex digits, that IdSchema accepts', () => {
  const ids = new Set<string>();
  for (const kind of ['ds', 'model', 'pairs', 'pl'] as const) {
    const id = newId(kind);
    assert.match(id, new RegExp(`^${kind}_[0-9a-f]{16}$`));
    assert.match(id, new RegExp(ID_PATTERN));
    ids.add(id);
  }
  assert.equal(ids.size, 4);
  assert.notEqual(newId('ds'), newId('ds'));
});

it('names the related id of another kind by the same random part', () => {
  assert.equal(relatedId('model_0123456789abcdef', 'pairs'), 'pairs_0123456789abcdef');
  assert.throws(() => relatedId('nounderscore', 'pairs'), /not an id/);
});
