// Every error leaves the API as RFC 9457 problem details (application/problem+json).
import { STATUS_CODES } from 'node:http';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiInstance } from './app.js';

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
  },
  { $id: 'Problem', additionalProperties: true },
);
export type Problem = Static<typeof ProblemSchema> & Record<string, unknown>;

/** An error a route throws on purpose: it becomes a problem response with this status and detail. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }
}

export function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  status: number,
  detail: string,
  extra: Record<string, unknown> = {},
): FastifyReply {
  const body: Problem = {
    type: 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    instance: request.url,
    ...extra,
  };
  return reply.code(status).type('application/problem+json').send(body);
}

/** The errors ioredis gives a fail-fast client while Redis is down or reconnecting. */
function isRedisUnavailable(error: Error): boolean {
  return (
    error.name === 'MaxRetriesPerRequestError' ||
    /Stream isn't writeable|Connection is closed|ECONNREFUSED/.test(error.message)
  );
}

export function registerProblemHandlers(app: ApiInstance): void {
  app.setNotFoundHandler((request, reply) => {
    sendProblem(reply, request, 404, `no route for ${request.method} ${request.url.split('?')[0]}`);
  });
  app.setErrorHandler((error: FastifyError | HttpProblem, request, reply) => {
    if (error instanceof HttpProblem) {
      sendProblem(reply, request, error.status, error.detail, error.extra);
      return;
    }
    if (error.validation) {
      const where = error.validationContext ?? 'request';
      sendProblem(reply, request, 400, `invalid ${where}: ${error.message}`, {
        errors: error.validation.map((issue) => ({ path: issue.instancePath, message: issue.message })),
      });
      return;
    }
    if (isRedisUnavailable(error)) {
      request.log.warn({ err: error.message }, 'redis unavailable');
      sendProblem(reply, request, 503, 'the job queue (Redis) is unavailable; retry shortly');
      return;
    }
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      sendProblem(reply, request, status, 'internal error; the server log has the details');
      return;
    }
    // Fastify's own client errors (body too large, bad JSON, unsupported media type) keep their message.
    sendProblem(reply, request, status, error.message);
  });
}
