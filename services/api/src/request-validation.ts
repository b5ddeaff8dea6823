// How request parts are checked against their route schemas. Fastify's default Ajv settings remove
// unknown properties (so {"name":"x","admin":true} passed) and coerce ["a"] to "a"; here a body is
// taken exactly as sent: no coercion, unknown properties refused. Path and query parameters arrive as
// text, so scalars are coerced there (topK=5 → 5), but never an array to a scalar (a repeated
// parameter is refused). In every part, a number must be finite: "Infinity", "-Infinity" and "1e400"
// parse to ±Infinity, which passed range checks and failed later as a 500.
import { AjvCompiler } from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';

type CompilerFactory = ReturnType<typeof AjvCompiler>;
type RouteDefinition = Parameters<ReturnType<CompilerFactory>>[0];
type ExternalSchemas = Parameters<CompilerFactory>[0];

interface ValidationIssue {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message: string;
}

interface Validator {
  (data: unknown, context?: { parentData: Record<string, unknown>; parentDataProperty: string }): unknown;
  errors?: unknown;
  schemaEnv?: unknown;
}

const BODY_OPTIONS = { coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false };
const TEXT_OPTIONS = { coerceTypes: true, removeAdditional: false, useDefaults: true, allErrors: false };

/** The JSON pointer of the first number that is not finite, or undefined when there is none. */
export function nonFiniteNumberAt(value: unknown, pointer = ''): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : pointer === '' ? '/' : pointer;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const found = nonFiniteNumberAt(item, `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

function finiteOnly(inner: Validator): Validator {
  const wrapper: Validator = (data, context) => {
    const result = inner(data, context);
    if (result === false) {
      wrapper.errors = inner.errors;
      return false;
    }
    // Ajv may have replaced a coerced root value in its parent.
    const checked = context === undefined ? data : context.parentData[context.parentDataProperty];
    const where = nonFiniteNumberAt(checked);
    if (where !== undefined) {
      const issue: ValidationIssue = {
        instancePath: where === '/' ? '' : where,
        schemaPath: '#/finite',
        keyword: 'finite',
        params: {},
        message: 'must be a finite number',
      };
      wrapper.errors = [issue];
      return false;
    }
    wrapper.errors = null;
    return result;
  };
  if (inner.schemaEnv !== undefined) wrapper.schemaEnv = inner.schemaEnv;
  return wrapper;
}

type SchemaController = NonNullable<FastifyServerOptions['schemaController']>;
type ValidatorFactory = NonNullable<NonNullable<SchemaController['compilersFactory']>['buildValidator']>;

// One pool for the process: Fastify asks for a validator per plugin context, and the pool hands back the
// same two Ajv instances for the same shared schemas instead of building new ones every time.
const factory = AjvCompiler();

function buildValidator(externalSchemas: ExternalSchemas) {
  const body = factory(externalSchemas, { customOptions: BODY_OPTIONS });
  const text = factory(externalSchemas, { customOptions: TEXT_OPTIONS });
  return (route: RouteDefinition) =>
    finiteOnly((route.httpPart === 'body' ? body(route) : text(route)) as unknown as Validator);
}

/** Fastify's `schemaController` with the rules above. */
export const strictSchemaController: SchemaController = {
  // Ajv's validate-function type also names its schema; Fastify uses only the call and `errors`.
  compilersFactory: { buildValidator: buildValidator as unknown as ValidatorFactory },
};
