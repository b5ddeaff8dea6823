// Every error leaves the API as RFC 9457 problem details (application/problem+json): route errors,
// validation, Fastify's own (415, 413, bad JSON), its router's (414, bad URL encoding) and the HTTP
// server's framing errors and timeouts (400, 408, 431), which are written to the socket directly.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiInstance } from './api-instance.js';
import { redactUrl } from './redact.js';

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
    // Never the raw URL: /admin/queues?key=<secret> would echo the secret.
    instance: redactUrl(request.url),
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

/** Errors that mean the client went away mid-request; nothing can be answered. */
function isClientGone(error: Error & { code?: unknown }, request: FastifyRequest): boolean {
  const raw = request.raw;
  const aborted = raw.destroyed && !raw.complete;
  return (
    aborted ||
    request.raw.socket?.destroyed === true ||
    error.code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    error.code === 'ECONNRESET' ||
    error.code === 'ECONNABORTED'
  );
}

/** Fastify's client errors (FST_ERR_CTP_*, multipart limits) keep their message; a few get a better one. */
function clientErrorDetail(error: FastifyError): string {
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return 'unsupported content type: send application/json (or multipart/form-data where a route takes photos)';
  }
  return error.message;
}

/**
 * For Fastify's `clientErrorHandler`: the HTTP parser refused the request (both Content-Length and
 * Transfer-Encoding, a bad header, headers too large) or it did not arrive in time. There is no
 * request object; the answer is written to the socket, which is then closed.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) {
    socket.destroy();
    return;
  }
  const status =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || error.code === 'ERR_HTTP_HEADERS_TIMEOUT'
      ? 408
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? 431
        : error.code === 'HPE_URI_TOO_LONG'
          ? 414
          : 400;
  const detail =
    status === 408
      ? 'the request did not arrive in time (API_REQUEST_TIMEOUT_MS / API_HEADERS_TIMEOUT_MS)'
      : status === 431
        ? 'the request headers are too large'
        : `the request is malformed HTTP (${String(error.code ?? 'parse error')})`;
  // A response may already be on its way (the error came mid-answer): then only close.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && inFlight?.headersSent !== true) {
    const body = JSON.stringify({
      type: 'about:blank',
      title: STATUS_CODES[status] ?? 'Error',
      status,
      detail,
    } satisfies Problem);
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** For Fastify's `frameworkErrors`: the router's 414 (a path part over 100 characters) and bad URLs. */
export function answerFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    sendProblem(reply, request, 414, 'a path part is longer than 100 characters');
    return;
  }
  if (error.code === 'FST_ERR_BAD_URL') {
    sendProblem(reply, request, 400, 'the URL is not validly percent-encoded');
    return;
  }
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 400;
  sendProblem(reply, request, status, status >= 500 ? 'internal error' : error.message);
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
    if (isClientGone(error, request)) {
      // Not a fault of ours and nothing to answer: the temp files are cleaned up by the upload code.
      request.log.info({ reason: error.message }, 'client closed the connection before the answer');
      reply.hijack();
      reply.raw.destroy();
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
    sendProblem(reply, request, status, clientErrorDetail(error));
  });
}
