// Cross-origin access for browser clients on other origins (CORS_ORIGINS). With no origin configured
// the plugin is not registered at all: no CORS header, so browsers keep other origins out.
import cors from '@fastify/cors';
import type { ApiInstance } from '../api-instance.js';

/** Register before the auth hook: preflights carry no Authorization header and must be answered first. */
export async function registerCors(app: ApiInstance, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  await app.register(cors, {
    origin: origins.includes('*') ? '*' : [...origins],
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    exposedHeaders: [
      'Retry-After',
      'WWW-Authenticate',
      'X-RateLimit-Limit',
      'X-RateLimit-Remaining',
      'X-RateLimit-Reset',
    ],
    // Bearer keys, not cookies, authenticate cross-origin calls.
    credentials: false,
    maxAge: 600,
  });
}
