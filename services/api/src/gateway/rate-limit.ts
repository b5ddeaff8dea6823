// Requests per minute per API key (per client address in open mode), counted in Redis so every API
// replica shares the budget. Public routes (health, docs, metrics) are not counted: probes and
// scrapers must never be turned away.
import rateLimit from '@fastify/rate-limit';
import type { Redis } from 'ioredis';
import type { ApiInstance } from '../api-instance.js';
import { HttpProblem } from '../problem.js';
import { callerOf, type PublicRoutes } from './auth.js';

export interface RateLimitOptions {
  redis: Redis;
  /** The deployment's Redis key prefix; the counters live under `<prefix>:rate-limit:`. */
  prefix: string;
  /** 0 turns the limit off. */
  perMinute: number;
  isPublic: PublicRoutes;
}

/** Register before the routes: the plugin attaches its hook to each route as it is added. */
export async function registerRateLimit(app: ApiInstance, options: RateLimitOptions): Promise<void> {
  if (options.perMinute === 0) return;
  await app.register(rateLimit, {
    global: true,
    max: options.perMinute,
    timeWindow: 60_000,
    redis: options.redis,
    nameSpace: `${options.prefix}:rate-limit:`,
    // Redis down: let the request through; the route then answers 503 if it needs Redis itself.
    skipOnError: true,
    // Runs after the auth hook (route-level onRequest hooks follow the global ones), so the key is known.
    keyGenerator: (request) => {
      const caller = callerOf(request);
      return caller === undefined ? `ip:${request.ip}` : `key:${caller.name}`;
    },
    allowList: (request) => {
      const route = request.routeOptions.url;
      return route !== undefined && options.isPublic(route);
    },
    errorResponseBuilder: (request, context) =>
      new HttpProblem(
        context.statusCode,
        `more than ${context.max} requests per minute ${callerOf(request) === undefined ? 'from this address' : 'with this API key'}; retry in ${context.after}`,
      ),
  });
}
