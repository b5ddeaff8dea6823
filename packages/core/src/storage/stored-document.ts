// A JSON document from the object store, checked against its schema on the way in: a stored document
// that does not match (hand-edited, truncated, written by a buggy build) fails with the key and its
// first bad field instead of flowing on as a wrongly typed value. The stage worker treats the
// SchemaError as permanent (retrying cannot fix the document); the API answers it as a server error.
import type { Static, TSchema } from '@sinclair/typebox';
import { parseWithSchema, SchemaError } from '../schema.js';
import { ObjectNotFoundError, type ObjectStore } from './object-store.js';

/** The document at `key` checked against `schema`, or undefined when there is none. */
export async function readStoredDocument<T extends TSchema>(
  store: ObjectStore,
  key: string,
  schema: T,
): Promise<Static<T> | undefined> {
  let text: string;
  try {
    text = (await store.get(key)).toString('utf8');
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return undefined;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SchemaError(
      '',
      `is not JSON (${error instanceof Error ? error.message : String(error)})`,
      `stored document ${key}`,
    );
  }
  return parseWithSchema(schema, value, `stored document ${key}`);
}
