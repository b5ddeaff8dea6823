// Completes the document @fastify/swagger generates from the route schemas, so a client generated
// from it is right: operationIds and tags (openapi-operations.ts), multipart request bodies, the
// error statuses every route shares (validation, body limits, auth, rate limit, Redis down), optional
// parameters that have defaults, and the routes plugins add without schemas (/docs, /admin/queues).
import { STATUS_CODES } from 'node:http';
import type { Limits } from '@faceshot/core/config';
import { type JsonSchema, OPERATIONS, TAGS } from './openapi-operations.js';

export interface DocumentContext {
  limits: Limits;
  /** API keys are checked (API_AUTH=keys): protected routes can answer 401, 403 and 429. */
  keys: boolean;
  isPublic: (route: string) => boolean;
}

interface Operation {
  operationId?: string;
  tags?: string[];
  summary?: string;
  description?: string;
  parameters?: { in: string; name: string; required?: boolean; schema?: JsonSchema; description?: string }[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: JsonSchema; encoding?: unknown }> };
  responses: Record<string, unknown>;
  security?: unknown[];
}
type PathItem = Record<string, Operation>;
export interface OpenApiObject {
  openapi: string;
  info: Record<string, unknown>;
  paths?: Record<string, PathItem>;
  components?: Record<string, unknown>;
  [key: string]: unknown;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };

const MiB = 1024 * 1024;
const size = (bytes: number) => (bytes % MiB === 0 ? `${bytes / MiB} MiB` : `${bytes} bytes`);

function describe(status: number, limits: Limits): string {
  switch (status) {
    case 400:
      return 'The request is invalid: a parameter, the body or a form part (the problem says which)';
    case 401:
      return 'No API key, or an unknown one (WWW-Authenticate: Bearer)';
    case 403:
      return 'The key may not do this (a read key on a write, a non-admin key on /admin)';
    case 413:
      return `The body is too large: JSON over ${size(limits.jsonBodyMaxBytes)} (JSON_BODY_MAX_BYTES), or a photo over its limit`;
    case 415:
      return 'The body is not of a media type this operation reads, or a photo is not a readable image';
    case 429:
      return 'Over RATE_LIMIT_PER_MINUTE requests this minute for this key; Retry-After says when to retry';
    case 500:
      return 'An internal error; the server log has the details';
    case 503:
      return 'Redis (the job queue) is unavailable; retry shortly';
    case 504:
      return 'The predictor did not answer within PREDICT_TIMEOUT_MS; the job was withdrawn';
    default:
      return STATUS_CODES[status] ?? 'Error';
  }
}

function problemResponse(status: number, limits: Limits): Record<string, unknown> {
  return {
    description: describe(status, limits),
    ...(status === 429
      ? {
          headers: {
            'Retry-After': { description: 'Seconds until the limit resets', schema: { type: 'integer' } },
          },
        }
      : {}),
    content: { 'application/problem+json': { schema: PROBLEM_REF } },
  };
}

/** A property with a default may be left out: the API fills it in (Fastify's `useDefaults`). */
function optionalWhereDefaulted(schema: unknown): void {
  if (typeof schema !== 'object' || schema === null) return;
  if (Array.isArray(schema)) {
    for (const item of schema) optionalWhereDefaulted(item);
    return;
  }
  const object = schema as JsonSchema;
  const properties = object.properties as Record<string, JsonSchema> | undefined;
  if (properties !== undefined && Array.isArray(object.required)) {
    const required = (object.required as string[]).filter((name) => properties[name]?.default === undefined);
    if (required.length > 0) object.required = required;
    else delete object.required;
  }
  for (const value of Object.values(object)) optionalWhereDefaulted(value);
}

/** The problem schema the route schemas inline (it has `$id: Problem`) is replaced by a reference. */
function isProblemSchema(schema: unknown): boolean {
  if (typeof schema !== 'object' || schema === null) return false;
  const candidate = schema as JsonSchema;
  if (candidate.$ref === PROBLEM_REF.$ref) return true;
  const properties = candidate.properties as Record<string, unknown> | undefined;
  return (
    properties !== undefined &&
    ['type', 'title', 'status', 'detail', 'instance'].every((name) => name in properties) &&
    candidate.additionalProperties === true
  );
}

function completeOperation(
  path: string,
  method: string,
  operation: Operation,
  context: DocumentContext,
  /** From a route schema, so Fastify validates its parameters (not so for the plugins' routes). */
  validated: boolean,
): void {
  const key = `${method.toUpperCase()} ${path}`;
  const entry = OPERATIONS[key];
  if (entry !== undefined) {
    operation.operationId = entry.operationId;
    operation.tags = [entry.tag];
  }
  const statuses = new Set<number>(entry?.statuses ?? []);
  if (entry?.multipart !== undefined) {
    const form = entry.multipart(context.limits);
    operation.requestBody = {
      required: true,
      content: { 'multipart/form-data': { schema: form.schema, encoding: form.encoding } },
    };
    for (const status of [400, 413, 415]) statuses.add(status);
  }
  const json = operation.requestBody?.content['application/json'];
  if (json !== undefined) {
    optionalWhereDefaulted(json.schema);
    for (const status of [400, 413, 415]) statuses.add(status);
  }
  for (const parameter of operation.parameters ?? []) {
    if (parameter.in !== 'path' && parameter.schema?.default !== undefined) parameter.required = false;
    // Fastify validates every parameter that has a schema: a wrong one is a 400.
    if (validated) statuses.add(400);
  }
  const routePath = path.replace(/\{(\w+)\}/g, ':$1');
  if (path.startsWith('/v1/')) {
    statuses.add(500);
    statuses.add(503);
  }
  if (context.keys && !context.isPublic(routePath)) {
    for (const status of [401, 403, 429]) statuses.add(status);
  }
  for (const status of statuses) {
    if (!(String(status) in operation.responses)) {
      operation.responses[String(status)] = problemResponse(status, context.limits);
    }
  }
  for (const [status, response] of Object.entries(operation.responses)) {
    const media = (response as { content?: Record<string, { schema?: unknown }> }).content?.[
      'application/problem+json'
    ];
    if (media !== undefined && isProblemSchema(media.schema)) {
      operation.responses[status] = problemResponse(Number(status), context.limits);
    }
  }
  for (const [status, response] of Object.entries(operation.responses)) {
    // The generator's placeholder says nothing: name the status instead ("Created", "Accepted").
    const described = response as { description?: string };
    if (described.description === 'Default Response')
      described.description = STATUS_CODES[Number(status)] ?? 'Success';
  }
  operation.responses = Object.fromEntries(
    Object.entries(operation.responses).sort(([a], [b]) => a.localeCompare(b)),
  );
}

const html = (description: string) => ({
  description,
  content: { 'text/html': { schema: { type: 'string' } } },
});

/** Routes that plugins add with hidden schemas: Swagger UI, this document, the queue dashboard. */
function pluginRoutes(context: DocumentContext): Record<string, PathItem> {
  const adminProblems = Object.fromEntries(
    [401, 403, 429].map((status) => [String(status), problemResponse(status, context.limits)]),
  );
  return {
    '/docs': {
      get: {
        operationId: 'getDocsPage',
        tags: ['operations'],
        summary: 'Swagger UI for this document',
        security: [],
        responses: { '200': html('Swagger UI (its scripts are under /docs/static/)') },
      },
    },
    '/docs/json': {
      get: {
        operationId: 'getOpenApiDocument',
        tags: ['operations'],
        summary: 'This OpenAPI document',
        security: [],
        responses: {
          '200': {
            description: 'The OpenAPI 3.1 document',
            content: { 'application/json': { schema: { type: 'object' } } },
          },
        },
      },
    },
    '/admin/queues': {
      get: {
        operationId: 'getQueueDashboard',
        tags: ['operations'],
        summary: 'The queue dashboard (bull-board) over every queue: admin keys only',
        description:
          'A browser cannot send a bearer header: open `/admin/queues?key=<admin secret>` once. The answer ' +
          'is a redirect to the same page without the key that sets an HttpOnly, SameSite=Strict cookie ' +
          'for /admin only; the cookie is no API key for /v1.',
        parameters: [
          {
            in: 'query',
            name: 'key',
            required: false,
            description: 'An admin secret, exchanged for the /admin cookie',
            schema: { type: 'string' },
          },
        ],
        responses: {
          '200': html('The dashboard'),
          '302': {
            description: 'The key was exchanged for the /admin cookie; go to the page without it',
            headers: {
              Location: { description: 'The same page without ?key=', schema: { type: 'string' } },
              'Set-Cookie': { description: 'The /admin cookie', schema: { type: 'string' } },
            },
          },
          ...adminProblems,
        },
      },
    },
  };
}

export function completeDocument(generated: OpenApiObject, context: DocumentContext): OpenApiObject {
  // A copy without shared objects: the generator reuses one schema object wherever a route reuses it.
  const document = JSON.parse(JSON.stringify(generated)) as OpenApiObject;
  const plugins = pluginRoutes(context);
  const paths: Record<string, PathItem> = { ...(document.paths ?? {}), ...plugins };
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation !== undefined) completeOperation(path, method, operation, context, !(path in plugins));
    }
  }
  const components = (document.components ?? {}) as { schemas?: Record<string, unknown> };
  const { Problem: _inlined, ...schemas } = components.schemas ?? {};
  return {
    openapi: document.openapi,
    info: {
      ...document.info,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/', description: 'The server that serves this document' }],
    tags: TAGS.map((tag) => ({ ...tag })),
    ...(document.security === undefined ? {} : { security: document.security }),
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      ...components,
      schemas: { ...schemas, Problem: PROBLEM_SCHEMA },
    },
  };
}

/** RFC 9457 problem details, as problem.ts sends them (further members may follow). */
const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details; some problems add members (errors, checks, datasetId, results)',
  properties: {
    type: { type: 'string', description: 'about:blank' },
    title: { type: 'string', description: 'The name of the status' },
    status: { type: 'integer' },
    detail: { type: 'string', description: 'What went wrong, for a person' },
    instance: { type: 'string', description: 'The request path' },
  },
  required: ['type', 'title', 'status', 'detail'],
  additionalProperties: true,
};
