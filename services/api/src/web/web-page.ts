// The web page: plain HTML, CSS and JavaScript modules from services/api/web/ (no build step), served by
// the API itself: the page at `/`, its files at `/ui/<file>`. Both are public (see auth.ts): the page
// holds no data, and its calls to /v1 carry the person's API key as a bearer header.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import helmet from '@fastify/helmet';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem, ProblemSchema } from '../problem.js';

export const WEB_PAGE_PATH = '/';
export const WEB_ASSETS_PREFIX = '/ui';

/** services/api/web: beside src/ and dist/, so the same relative path works from both. */
export const WEB_ROOT = fileURLToPath(new URL('../../web/', import.meta.url));

const MEDIA_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};
const FILE_NAME = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$';

/**
 * Only the page's own files: no inline script or style, no other origin. Images may be blob: URLs (the
 * page fetches photos with the key and shows them from memory) or data: URLs. @fastify/helmet sends it
 * with its other headers (nosniff, no referrer, no framing…) on the page's routes only.
 */
const CONTENT_SECURITY_POLICY = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'blob:', 'data:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
  },
};

interface WebFile {
  body: Buffer;
  type: string;
  etag: string;
}

/** Reads the page's files once, at start (a few tens of kB); an unknown extension is not served. */
export function loadWebFiles(root: string = WEB_ROOT): Map<string, WebFile> {
  const files = new Map<string, WebFile>();
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return files;
  }
  for (const name of names) {
    const type = MEDIA_TYPES[path.extname(name)];
    if (type === undefined || !new RegExp(FILE_NAME).test(name)) continue;
    const body = readFileSync(path.join(root, name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    files.set(name, { body, type, etag });
  }
  return files;
}

function send(request: FastifyRequest, reply: FastifyReply, file: WebFile): FastifyReply {
  reply.header('cache-control', 'no-cache').header('etag', file.etag);
  if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
  return reply.type(file.type).send(file.body);
}

const asString = (mediaType: string) => ({
  schema: Type.Unsafe<Buffer>({ type: 'string', contentMediaType: mediaType }),
});

export const webPageRoutes: FastifyPluginAsyncTypebox<{ root?: string }> = async (app, options) => {
  const files = loadWebFiles(options.root);
  // This plugin's scope: the page and its files, not the JSON API.
  await app.register(helmet, {
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    referrerPolicy: { policy: 'no-referrer' },
  });

  app.get(
    WEB_PAGE_PATH,
    {
      schema: {
        summary:
          'The web page: identify faces in a photo, manage galleries, browse datasets, models, pipelines',
        description:
          'Public: the page itself needs no key. It asks for an API key once, keeps it in the browser ' +
          '(localStorage) and sends it as a bearer header on its calls to /v1.',
        response: {
          200: { description: 'The page (HTML)', content: { 'text/html': asString('text/html') } },
          404: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const page = files.get('index.html');
      if (page === undefined) throw new HttpProblem(404, `the web page is not installed (${WEB_ROOT})`);
      return send(request, reply, page);
    },
  );

  app.get(
    `${WEB_ASSETS_PREFIX}/:file`,
    {
      schema: {
        summary: "The web page's scripts, style sheet and icon",
        params: Type.Object({ file: Type.String({ pattern: FILE_NAME }) }),
        response: {
          200: {
            description: 'The file',
            content: {
              'text/javascript': asString('text/javascript'),
              'text/css': asString('text/css'),
              'image/svg+xml': asString('image/svg+xml'),
            },
          },
          400: ProblemSchema,
          404: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const file = request.params.file === 'index.html' ? undefined : files.get(request.params.file);
      if (file === undefined) throw new HttpProblem(404, `the web page has no file "${request.params.file}"`);
      return send(request, reply, file);
    },
  );
};
