// Checks HTTP exchanges against the committed OpenAPI document (packages/client/openapi.json) with
// Stoplight Prism's own validator (@stoplight/prism-http): the route, path and query parameters,
// headers and body of each request, and the status, media type, headers and body of each answer.
// It wraps fetch rather than standing as Prism's proxy, because the proxy reads bodies as UTF-8 text
// and so corrupts every photo it forwards; here the API gets the exact bytes and Prism validates them.
import path from 'node:path';
import { getHttpOperationsFromSpec, type IHttpRequest, type IHttpResponse } from '@stoplight/prism-http';
import route from '@stoplight/prism-http/dist/router/index.js';
import { validateInput, validateOutput } from '@stoplight/prism-http/dist/validator/index.js';
import { repoRoot } from './datasets.js';

export const OPENAPI_DOCUMENT = path.join(repoRoot, 'packages/client/openapi.json');

type IHttpOperation = Awaited<ReturnType<typeof getHttpOperationsFromSpec>>[number];

export interface CheckedCall {
  method: string;
  path: string;
  status: number;
  operationId: string | undefined;
  /** Each way the request or the answer departs from the document; empty when both match it. */
  violations: string[];
}

type Diagnostics = { left: { message: string; path?: unknown[]; severity: number }[] } | { right: unknown };

function messages(where: string, result: Diagnostics): string[] {
  if (!('left' in result)) return [];
  // Prism's severities: 0 error, 1 warning (e.g. an undocumented status), 2 information, 3 hint.
  return result.left
    .filter((diagnostic) => diagnostic.severity <= 1)
    .map(
      (diagnostic) =>
        `${where}${diagnostic.path ? ` ${JSON.stringify(diagnostic.path)}` : ''}: ${diagnostic.message}`,
    );
}

function headersOf(headers: Headers): Record<string, string> {
  return Object.fromEntries([...headers.entries()]);
}

/** The body as Prism's own server reads it: JSON parsed, anything else as text (bytes kept 1:1). */
function bodyOf(bytes: Buffer, contentType: string): unknown {
  if (bytes.length === 0) return undefined;
  if (/json/.test(contentType)) return JSON.parse(bytes.toString('utf8')) as unknown;
  return bytes.toString(/^(text|application\/javascript)/.test(contentType) ? 'utf8' : 'latin1');
}

/**
 * A fetch that sends each request unchanged, validates request and answer against the document,
 * and records the outcome in `calls`.
 */
export async function validatingFetch(
  calls: CheckedCall[],
  /** What actually sends the request (a test of this validator passes a fake). */
  send: (request: Request) => Promise<Response> = fetch,
): Promise<(request: Request) => Promise<Response>> {
  const operations: IHttpOperation[] = await getHttpOperationsFromSpec(OPENAPI_DOCUMENT);
  return async (request) => {
    const url = new URL(request.url);
    const requestBytes = Buffer.from(await request.clone().arrayBuffer());
    const query: Record<string, string | string[]> = {};
    for (const [name, value] of url.searchParams) {
      const seen = query[name];
      query[name] = seen === undefined ? value : [...[seen].flat(), value];
    }
    const input: IHttpRequest = {
      method: request.method.toLowerCase() as IHttpRequest['method'],
      url: { path: url.pathname, query },
      headers: headersOf(request.headers),
      body: bodyOf(requestBytes, request.headers.get('content-type') ?? ''),
    };
    const response = await send(request);
    const responseBytes = Buffer.from(await response.clone().arrayBuffer());
    const violations: string[] = [];
    const matched = route.default({ resources: operations, input }) as
      | { left: Error }
      | { right: IHttpOperation };
    let operationId: string | undefined;
    if ('left' in matched) {
      violations.push(`no operation in the document: ${matched.left.message}`);
    } else {
      const operation = matched.right;
      operationId = operation.iid;
      violations.push(
        ...messages('request', validateInput({ resource: operation, element: input }) as Diagnostics),
      );
      const output: IHttpResponse = {
        statusCode: response.status,
        headers: headersOf(response.headers),
        body: bodyOf(responseBytes, response.headers.get('content-type') ?? ''),
      };
      violations.push(
        ...messages('response', validateOutput({ resource: operation, element: output }) as Diagnostics),
      );
    }
    calls.push({
      method: request.method,
      path: url.pathname,
      status: response.status,
      operationId,
      violations,
    });
    return response;
  };
}
