// The OpenAPI document at /docs/json: a valid OpenAPI 3 document with the bearer scheme, and every
// route the server has (seen through an onRoute hook) documented with its request and response schemas.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { buildApi } from '@faceshot/api/app';
import { apiDependenciesOf } from '@faceshot/api/start-api';
import type { RouteOptions } from 'fastify';
import { type ApiStack, startApiStack } from './support/api-stack.js';
import { call, TEST_API_KEYS } from './support/gateway.js';
import { OPENAPI_DOCUMENT } from './support/openapi-validator.js';

interface Operation {
  operationId?: string;
  tags?: string[];
  parameters?: { in: string; name: string; required?: boolean }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
  security?: unknown[];
}
interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components?: { securitySchemes?: Record<string, { type: string; scheme?: string }> };
  security?: Record<string, unknown[]>[];
}

interface SchemaValidator {
  validate(document: object): Promise<{ valid: boolean; errors?: unknown }>;
}

/**
 * @seriousme/openapi-schema-validator checks the document against the official OpenAPI JSON schemas.
 * It is not a dependency yet; until it is installed the test says so and is skipped.
 */
async function officialValidator(): Promise<SchemaValidator | undefined> {
  const specifier = '@seriousme/openapi-schema-validator';
  try {
    const module = (await import(specifier)) as { Validator: new () => SchemaValidator };
    return new module.Validator();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}

const HIDDEN = /^\/(docs|admin)(\/|$)/;

describe('OpenAPI document', () => {
  let stack: ApiStack;
  let document: OpenApiDocument;
  const routes: { method: string; url: string; schema: RouteOptions['schema'] }[] = [];
  let validator: SchemaValidator | undefined;

  before(async () => {
    stack = await startApiStack('gateway-docs', { API_AUTH: 'keys', API_KEYS: TEST_API_KEYS });
    // A second app over the same runtime, built with a hook that sees every route as it is added.
    const app = await buildApi(apiDependenciesOf(stack.runtime), {
      onRoute: (route) => {
        for (const method of [route.method].flat())
          routes.push({ method, url: route.url, schema: route.schema });
      },
    });
    try {
      await app.ready();
      const response = await app.inject({ url: '/docs/json' });
      assert.equal(response.statusCode, 200);
      document = response.json() as OpenApiDocument;
    } finally {
      await app.close();
    }
    validator = await officialValidator();
  });
  after(async () => {
    await stack.stop();
  });

  it('is served publicly at /docs/json, and Swagger UI at /docs', async () => {
    const json = await call(`${stack.baseUrl}/docs/json`);
    assert.equal(json.status, 200);
    assert.equal(json.body.openapi, '3.1.0');
    const ui = await call(`${stack.baseUrl}/docs`);
    assert.equal(ui.status, 200);
    assert.match(ui.text, /swagger-ui/i);
  });

  it('is the committed packages/client/openapi.json, which the typed client is generated from', async () => {
    const committed = JSON.parse(await readFile(OPENAPI_DOCUMENT, 'utf8')) as unknown;
    assert.deepEqual(
      document,
      committed,
      'the API serves another document than packages/client/openapi.json: run `npm run openapi` and commit it',
    );
  });

  it('names every operation (unique operationId) and tags it with a declared tag', () => {
    const ids = new Map<string, string>();
    const declared = new Set(((document as { tags?: { name: string }[] }).tags ?? []).map((tag) => tag.name));
    const problems: string[] = [];
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        const id = operation.operationId;
        if (id === undefined || !/^[a-z][A-Za-z]+$/.test(id)) problems.push(`${where}: operationId ${id}`);
        else if (ids.has(id)) problems.push(`${where}: operationId ${id} also names ${ids.get(id)}`);
        else ids.set(id, where);
        if (operation.tags?.length !== 1 || !declared.has(operation.tags[0] ?? ''))
          problems.push(`${where}: tags ${JSON.stringify(operation.tags)}`);
      }
    }
    assert.deepEqual(problems, []);
    for (const route of ['/docs', '/docs/json', '/admin/queues'])
      assert.ok(document.paths[route]?.get, route);
  });

  it('describes the multipart uploads and leaves defaulted parameters optional', () => {
    const form = (path: string) =>
      document.paths[path]?.post?.requestBody?.content?.['multipart/form-data']?.schema as
        | { properties: Record<string, unknown>; required: string[] }
        | undefined;
    assert.deepEqual(form('/v1/datasets/{id}/images')?.required, ['file']);
    assert.deepEqual(form('/v1/models/{id}/identities')?.required, ['identity', 'photo']);
    assert.deepEqual(form('/v1/models/{id}/identify')?.required, ['photo']);
    assert.deepEqual(form('/v1/models/{id}/verify')?.required, ['a', 'b']);
    const identify = document.paths['/v1/models/{id}/identify']?.post;
    for (const name of ['topK', 'faces', 'threshold']) {
      const parameter = identify?.parameters?.find((entry) => entry.name === name);
      assert.equal(parameter?.required, false, `${name} is optional`);
    }
    for (const status of ['400', '413', '415', '422', '504'])
      assert.ok(identify?.responses?.[status], status);
    const create = document.paths['/v1/datasets']?.post;
    for (const status of ['400', '413', '415', '503'])
      assert.ok(create?.responses?.[status]?.content?.['application/problem+json'], status);
  });

  it('passes the official OpenAPI schema', async (t) => {
    if (validator === undefined) {
      t.skip('install @seriousme/openapi-schema-validator (tests devDependency) to run this check');
      return;
    }
    const result = await validator.validate(document);
    assert.ok(result.valid, JSON.stringify(result.errors, null, 1));
  });

  it('is OpenAPI 3 with a bearer scheme required everywhere but the public routes', () => {
    assert.match(document.openapi, /^3\.\d+\.\d+$/);
    assert.equal(typeof document.info.title, 'string');
    assert.equal(typeof document.info.version, 'string');
    const scheme = document.components?.securitySchemes?.apiKey;
    assert.equal(scheme?.type, 'http');
    assert.equal(scheme?.scheme, 'bearer');
    assert.deepEqual(document.security, [{ apiKey: [] }]);
    for (const route of ['/healthz', '/readyz', '/metrics']) {
      assert.deepEqual(document.paths[route]?.get?.security, [], `${route} needs no key`);
    }
    const create = document.paths['/v1/datasets']?.post;
    for (const status of ['401', '403', '429']) {
      assert.ok(
        create?.responses?.[status]?.content?.['application/problem+json']?.schema,
        `POST /v1/datasets documents ${status} as problem+json`,
      );
    }
  });

  it('documents every route with its parameters, body and response schemas', () => {
    const visible = routes.filter(
      (route) => route.method !== 'HEAD' && route.method !== 'OPTIONS' && !HIDDEN.test(route.url),
    );
    assert.ok(visible.length >= 20, `only ${visible.length} routes seen`);
    const problems: string[] = [];
    for (const route of visible) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      const where = `${route.method} ${path}`;
      const operation = document.paths[path]?.[route.method.toLowerCase()];
      if (operation === undefined) {
        problems.push(`${where}: missing from the document`);
        continue;
      }
      const success = Object.entries(operation.responses ?? {}).find(([status]) => /^2\d\d$/.test(status));
      const content = success?.[1].content ?? {};
      if (success === undefined || !Object.values(content).some((media) => media.schema !== undefined)) {
        problems.push(`${where}: no success response schema`);
      }
      for (const [, name] of path.matchAll(/\{(\w+)\}/g)) {
        const parameter = operation.parameters?.find((entry) => entry.in === 'path' && entry.name === name);
        if (parameter?.required !== true) problems.push(`${where}: path parameter ${name} undocumented`);
      }
      const schema = (route.schema ?? {}) as { body?: unknown };
      if (
        schema.body !== undefined &&
        operation.requestBody?.content?.['application/json']?.schema === undefined
      ) {
        problems.push(`${where}: request body schema missing`);
      }
    }
    assert.deepEqual(problems, []);
  });
});
