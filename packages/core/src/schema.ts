import type { Static, TSchema } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

function checkerFor<T extends TSchema>(schema: T): TypeCheck<T> {
  let checker = compiled.get(schema);
  if (checker === undefined) {
    checker = TypeCompiler.Compile(schema);
    compiled.set(schema, checker);
  }
  return checker as TypeCheck<T>;
}

/** Thrown when a value does not match its schema; `field` is the JSON path of the first problem. */
export class SchemaError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
    what: string,
  ) {
    super(`invalid ${what}: ${field === '' ? '(root)' : field} ${problem}`);
    this.name = 'SchemaError';
  }
}

/** Returns the value typed by its schema, or throws a SchemaError naming the first bad field. */
export function parseWithSchema<T extends TSchema>(schema: T, value: unknown, what: string): Static<T> {
  const checker = checkerFor(schema);
  if (checker.Check(value)) return value;
  const first = checker.Errors(value).First();
  // JSON pointer "/a/0/b" → "a[0].b", the way people write field names.
  const field = (first?.path ?? '')
    .split('/')
    .filter((part) => part !== '')
    .map((part, index) => (/^\d+$/.test(part) ? `[${part}]` : index === 0 ? part : `.${part}`))
    .join('');
  throw new SchemaError(field, (first?.message ?? 'is invalid').toLowerCase(), what);
}
