import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';

/** Ids we mint or accept for datasets, models and pairs: safe in URLs, storage keys and Redis keys. */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$';
export const IdSchema = Type.String({
  pattern: ID_PATTERN,
  description: 'Opaque id: letters, digits, _ and -',
});

/** What an id names: a dataset, a model, a model's pairs, a pipeline. */
export type IdKind = 'ds' | 'model' | 'pairs' | 'pl';

/** Random hex digits after the kind: 64 bits, the length of every id minted so far. */
const RANDOM_HEX_DIGITS = 16;

/** A new id: its kind, then random hex digits (`ds_3f2a…`). */
export function newId(kind: IdKind): string {
  return `${kind}_${randomUUID().replaceAll('-', '').slice(0, RANDOM_HEX_DIGITS)}`;
}

/** The id of another kind with the same random part (a model's pairs: model_x → pairs_x). */
export function relatedId(id: string, kind: IdKind): string {
  const separator = id.indexOf('_');
  if (separator < 0) throw new Error(`"${id}" is not an id of the form <kind>_<random>`);
  return `${kind}${id.slice(separator)}`;
}
