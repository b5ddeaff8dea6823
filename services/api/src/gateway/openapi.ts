// The OpenAPI document, generated from the route schemas (@fastify/swagger), and Swagger UI at /docs
// (the JSON at /docs/json). OpenAPI 3.1, because its schemas are plain JSON Schema: TypeBox's `const`,
// `patternProperties` and numeric `exclusiveMinimum` are not valid OpenAPI 3.0.
import { STATUS_CODES } from 'node:http';
import type { GatewayConfig, Limits } from '@faceshot/core/config';
import swagger, { type SwaggerTransformObject } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifySchema } from 'fastify';
import type { ApiInstance } from '../api-instance.js';
import type { PublicRoutes } from './auth.js';
import { completeDocument, type OpenApiObject } from './openapi-document.js';

export const DOCS_PREFIX = '/docs';

const DESCRIPTION = `One-shot face recognition: datasets, face extraction and curation, Siamese training, \
identification. Long work runs as jobs; poll \`/v1/jobs/{queue}/{id}\`. Errors are \
\`application/problem+json\` (RFC 9457).

Send an API key as \`Authorization: Bearer <key>\`. Read keys may GET and HEAD; write keys may do \
anything under /v1; admin keys may also use /admin. /healthz, /readyz, /docs, the web page (/ and \
/ui/*) and (unless METRICS_PUBLIC=false) /metrics need no key.`;

/** Error responses are sent as application/problem+json (problem.ts); say so, with the status's name. */
function asProblemJson(responses: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(responses).map(([status, schema]) => {
      const code = Number(status);
      const wrapped = typeof schema === 'object' && schema !== null && 'content' in schema;
      if (!(code >= 400) || wrapped) return [status, schema];
      return [
        status,
        { description: STATUS_CODES[code] ?? 'Error', content: { 'application/problem+json': { schema } } },
      ];
    }),
  );
}

/** Register before the routes: the plugin collects each route as it is added. */
export async function registerOpenApi(
  app: ApiInstance,
  gateway: GatewayConfig,
  isPublic: PublicRoutes,
  limits: Limits,
): Promise<void> {
  const keys = gateway.auth === 'keys';
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'faceshot API', version: '0.1.0', description: DESCRIPTION },
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description: 'The secret part of an API_KEYS entry (npm start writes one to data/api-key)',
          },
        },
      },
      ...(keys ? { security: [{ apiKey: [] }] } : {}),
    },
    // Public routes need no key; errors are problem+json. Only the document changes: the routes keep
    // their own schemas.
    transform: ({ schema, url }) => {
      if (schema === undefined || schema === null) return { schema, url };
      const response = (schema.response ?? {}) as Record<string, unknown>;
      return {
        schema: {
          ...schema,
          ...(isPublic(url) ? { security: [] } : {}),
          response: asProblemJson(response),
        } as FastifySchema,
        url,
      };
    },
    // Then what the route schemas cannot say: see openapi-document.ts.
    transformObject: (document) =>
      'openapiObject' in document
        ? (completeDocument(document.openapiObject as OpenApiObject, {
            limits,
            keys,
            isPublic,
          }) as ReturnType<SwaggerTransformObject>)
        : document.swaggerObject,
  });
}

export async function registerDocsUi(app: ApiInstance): Promise<void> {
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX });
}
