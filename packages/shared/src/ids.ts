import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';

/** Ids we mint or accept for datasets, models and pairs: safe in URLs, storage keys and Redis keys. */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$';
export const IdSchema = Type.String({
  pattern: ID_PATTERN,
  description: 'Opaque id: letters, digits, _ and -',
});

export function newId(kind: 'ds' | 'model' | 'pairs' | 'gallery'): string {
  return `${kind}_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
}
