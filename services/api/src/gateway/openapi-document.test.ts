// completeDocument on a small generated document: what it adds, and what it leaves alone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { completeDocument, type OpenApiObject } from './openapi-document.js';

const limits = {
  imageMaxBytes: 10 * 1024 * 1024,
  imageMaxPixels: 40e6,
  uploadMaxFiles: 1000,
  jsonBodyMaxBytes: 1024 * 1024,
};
const isPublic = (route: string) => route === '/healthz';

function generated(): OpenApiObject {
  const shared = {
    type: 'object',
    properties: { a: { type: 'integer', default: 1 }, b: { type: 'string' } },
    required: ['a', 'b'],
  };
  return {
    openapi: '3.1.0',
    info: { title: 't', version: '1' },
    paths: {
      '/healthz': { get: { responses: { '200': { description: 'Default Response' } } } },
      '/v1/models/{id}/identify': {
        post: {
          parameters: [
            { in: 'path', name: 'id', required: true, schema: { type: 'string' } },
            { in: 'query', name: 'topK', required: true, schema: { type: 'integer', default: 5 } },
          ],
          responses: {
            '200': { description: 'Default Response', content: { 'application/json': { schema: shared } } },
          },
        },
      },
      '/v1/models': {
        post: {
          requestBody: { content: { 'application/json': { schema: shared } } },
          responses: { '202': { description: 'Default Response' } },
        },
      },
    },
  };
}

describe('completeDocument', () => {
  const document = completeDocument(generated(), { limits, keys: true, isPublic });
  const paths = document.paths ?? {};
  const identify = paths['/v1/models/{id}/identify']?.post;
  const train = paths['/v1/models']?.post;
  assert.ok(identify !== undefined && train !== undefined);

  it('names and tags operations from the table, and adds servers, licence and tags', () => {
    assert.equal(identify.operationId, 'identifyFaces');
    assert.deepEqual(identify.tags, ['predictions']);
    assert.equal(train.operationId, 'trainModel');
    assert.deepEqual(document.servers, [{ url: '/', description: 'The server that serves this document' }]);
    assert.equal((document.info.license as { identifier: string }).identifier, 'MIT');
    assert.ok(Array.isArray(document.tags));
  });

  it('describes the multipart body of an upload route', () => {
    const form = identify.requestBody?.content['multipart/form-data'];
    assert.deepEqual((form?.schema as { required?: string[] } | undefined)?.required, ['photo']);
    assert.equal(identify.requestBody?.required, true);
  });

  it('makes defaulted parameters and body properties optional, and only in request bodies', () => {
    assert.equal(identify.parameters?.find((entry) => entry.name === 'topK')?.required, false);
    assert.equal(identify.parameters?.find((entry) => entry.name === 'id')?.required, true);
    assert.deepEqual(train.requestBody?.content['application/json']?.schema?.required, ['b']);
    // The same schema object used as an answer keeps both properties required.
    const answer = (
      identify.responses['200'] as { content: Record<string, { schema: { required: string[] } }> }
    ).content['application/json']?.schema;
    assert.deepEqual(answer?.required, ['a', 'b']);
  });

  it('adds the shared error statuses as problem+json, and none to a public probe', () => {
    for (const status of ['400', '401', '403', '413', '415', '429', '500', '503']) {
      const response = train.responses[status] as
        | { content: Record<string, { schema: unknown }> }
        | undefined;
      assert.deepEqual(
        response?.content['application/problem+json']?.schema,
        { $ref: '#/components/schemas/Problem' },
        status,
      );
    }
    assert.deepEqual(Object.keys(paths['/healthz']?.get?.responses ?? {}), ['200']);
    assert.equal((train.responses['202'] as { description: string }).description, 'Accepted');
    assert.ok(paths['/admin/queues']?.get?.responses['302']);
  });
});
