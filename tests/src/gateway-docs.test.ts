// The OpenAPI document at /docs/json: a valid OpenAPI 3 document with the bearer scheme, and every
// route the server has (seen through an onRoute hook) documented with its request and response schemas.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildApi } from '@faceshot/api/app';
import { apiDependenciesOf } from '@faceshot/api/start-api';
import type { RouteOptions } from 'fastify';
import { type ApiStack, startApiStack } from './support/api-stack.js';
import { call, TEST_API_KEYS } from './support/gateway.js';

interface Operation {
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
