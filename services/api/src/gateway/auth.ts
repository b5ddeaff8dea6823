// API keys as bearer tokens (API_AUTH=keys). Every route needs a key except the public ones (health,
// docs, the web page, and /metrics unless METRICS_PUBLIC=false); /admin needs an admin key, and a read key may only
// GET and HEAD. The dashboard also takes the key once as ?key=, which sets a cookie only /admin accepts.
import { createHash, timingSafeEqual } from 'node:crypto';
import { type ApiKey, type ApiKeyRole, ConfigError, type GatewayConfig } from '@faceshot/core/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiInstance } from '../api-instance.js';
import { sendProblem } from '../problem.js';

export interface Caller {
  name: string;
  role: ApiKeyRole;
}

/** True for route patterns anyone may call without a key. */
export type PublicRoutes = (route: string) => boolean;

export const ADMIN_PREFIX = '/admin';
export const ADMIN_COOKIE = 'faceshot_admin';
const REALM = 'Bearer realm="faceshot"';
const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** Keys mode with no key would let nobody in, or tempt someone into open mode; say so at start. */
export function assertAuthConfigured(gateway: GatewayConfig): void {
  if (gateway.auth === 'keys' && gateway.keys.length === 0) {
    throw new ConfigError(
      'API_KEYS',
      'is required when API_AUTH=keys (the default): give name:role:secret entries, e.g. ' +
        'ops:admin:$(openssl rand -hex 32); or set API_AUTH=open for a development API without keys',
    );
  }
}

export function publicRoutes(gateway: GatewayConfig): PublicRoutes {
  return (route) =>
    route === '/healthz' ||
    route === '/readyz' ||
    route === '/docs' ||
    route.startsWith('/docs/') ||
    // The web page and its files (web/web-page.ts); its calls to /v1 carry the person's key.
    route === '/' ||
    route.startsWith('/ui/') ||
    (gateway.metricsPublic && route === '/metrics');
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

interface Entry {
  caller: Caller;
  /** SHA-256 of the secret. */
  digest: Buffer;
  /** The admin cookie's value: derived from the secret's hash, so a stolen cookie is not the key. */
  cookie: string;
  cookieDigest: Buffer;
}

export class ApiKeyring {
  private readonly entries: Entry[];

  constructor(keys: readonly ApiKey[]) {
    this.entries = keys.map((key) => {
      const cookie = createHash('sha256')
        .update(`faceshot admin cookie\n${key.secretSha256}`)
        .digest('base64url');
      return {
        caller: { name: key.name, role: key.role },
        digest: Buffer.from(key.secretSha256, 'hex'),
        cookie,
        cookieDigest: sha256(cookie),
      };
    });
  }

  /**
   * Both sides are SHA-256 digests (equal lengths for timingSafeEqual), and every key is compared
   * whether or not an earlier one matched, so the time taken tells nothing about the keys.
   */
  private find(candidate: Buffer, field: 'digest' | 'cookieDigest'): Entry | undefined {
    let found: Entry | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(candidate, entry[field]) && found === undefined) found = entry;
    }
    return found;
  }

  bySecret(secret: string): Caller | undefined {
    return this.find(sha256(secret), 'digest')?.caller;
  }

  byCookie(value: string): Caller | undefined {
    return this.find(sha256(value), 'cookieDigest')?.caller;
  }

  cookieFor(secret: string): string | undefined {
    return this.find(sha256(secret), 'digest')?.cookie;
  }
}

const callers = new WeakMap<FastifyRequest, Caller>();

/** The key a request was authenticated with; undefined on public routes and in open mode. */
export function callerOf(request: FastifyRequest): Caller | undefined {
  return callers.get(request);
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  // A header that is not a bearer token counts as a wrong key, not as a missing one.
  return match?.[1] ?? '';
}

function cookieValue(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

function unauthorized(request: FastifyRequest, reply: FastifyReply, detail: string, invalid: boolean) {
  reply.header('www-authenticate', invalid ? `${REALM}, error="invalid_token"` : REALM);
  return sendProblem(reply, request, 401, detail);
}

function forbidden(request: FastifyRequest, reply: FastifyReply, detail: string) {
  reply.header('www-authenticate', `${REALM}, error="insufficient_scope"`);
  return sendProblem(reply, request, 403, detail);
}

/**
 * `GET /admin/...?key=<secret>`: a browser cannot send a bearer header, so an admin key given once in
 * the address sets an HttpOnly, SameSite=Strict cookie for /admin and redirects to the same page
 * without the key (out of the address bar; the cookie does the rest).
 */
function exchangeKeyForCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  keyring: ApiKeyring,
  secret: string,
): FastifyReply {
  const caller = keyring.bySecret(secret);
  const cookie = keyring.cookieFor(secret);
  if (caller === undefined || cookie === undefined) {
    return unauthorized(request, reply, 'the API key is not valid', true);
  }
  if (caller.role !== 'admin') return forbidden(request, reply, `${ADMIN_PREFIX} needs an admin key`);
  const url = new URL(request.url, 'http://faceshot.invalid');
  url.searchParams.delete('key');
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return reply
    .code(303)
    .header(
      'set-cookie',
      `${ADMIN_COOKIE}=${cookie}; Path=${ADMIN_PREFIX}; HttpOnly; SameSite=Strict${secure}`,
    )
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('location', `${url.pathname}${url.search}`)
    .send();
}

/** Adds the check to every route registered after it; register @fastify/cors first (preflights). */
export function registerAuth(app: ApiInstance, keyring: ApiKeyring, isPublic: PublicRoutes): void {
  app.addHook('onRequest', async (request, reply) => {
    // The matched pattern, not the raw URL: an encoded or odd spelling of a path cannot slip past.
    const route = request.routeOptions.url;
    if (route !== undefined && isPublic(route)) return;
    const path = route ?? request.url.split('?')[0] ?? '';
    const adminArea = path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`);

    const query = new URLSearchParams(request.url.split('?')[1] ?? '');
    const keyInQuery = query.get('key');
    if (adminArea && request.method === 'GET' && keyInQuery !== null) {
      return exchangeKeyForCookie(request, reply, keyring, keyInQuery);
    }

    const token = bearerToken(request);
    const cookie = adminArea && token === undefined ? cookieValue(request, ADMIN_COOKIE) : undefined;
    if (token === undefined && cookie === undefined) {
      return unauthorized(
        request,
        reply,
        'an API key is required: send "Authorization: Bearer <key>"',
        false,
      );
    }
    const caller = token !== undefined ? keyring.bySecret(token) : keyring.byCookie(cookie ?? '');
    if (caller === undefined) return unauthorized(request, reply, 'the API key is not valid', true);

    if (adminArea && caller.role !== 'admin') {
      return forbidden(
        request,
        reply,
        `${ADMIN_PREFIX} needs an admin key (key "${caller.name}" is ${caller.role})`,
      );
    }
    if (caller.role === 'read' && !SAFE_METHODS.has(request.method)) {
      return forbidden(request, reply, `key "${caller.name}" is read-only: it may only GET and HEAD`);
    }
    callers.set(request, caller);
    // Every log line of the request names the key, so changes can be traced to a caller.
    request.log = request.log.child({ apiKey: caller.name });
    return undefined;
  });
}
