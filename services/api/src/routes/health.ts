import type { ObjectStore } from '@faceshot/core/storage/object-store';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Redis } from 'ioredis';
import { ProblemSchema, sendProblem } from '../problem.js';

export interface HealthDependencies {
  redis: Redis;
  store: ObjectStore;
  /** How long each readiness check may take before it counts as failed. */
  checkTimeoutMs: number;
}

async function withTimeout(check: Promise<unknown>, ms: number): Promise<'ok' | string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${ms} ms`), ms);
  });
  try {
    return await Promise.race([check.then(() => 'ok' as const), timeout]);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
}

const Checks = Type.Object({ redis: Type.String(), storage: Type.String() });

export const healthRoutes: FastifyPluginAsyncTypebox<HealthDependencies> = async (app, deps) => {
  app.get(
    '/healthz',
    {
      logLevel: 'warn',
      schema: {
        summary: 'Liveness: the process is up',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      logLevel: 'warn',
      schema: {
        summary: 'Readiness: Redis and object storage answer',
        response: { 200: Type.Object({ status: Type.Literal('ready'), checks: Checks }), 503: ProblemSchema },
      },
    },
    async (request, reply) => {
      const [redis, storage] = await Promise.all([
        withTimeout(
          deps.redis.status === 'ready'
            ? deps.redis.ping()
            : Promise.reject(new Error(`connection is ${deps.redis.status}`)),
          deps.checkTimeoutMs,
        ),
        withTimeout(deps.store.ping(), deps.checkTimeoutMs),
      ]);
      const failed = Object.entries({ redis, storage }).filter(([, outcome]) => outcome !== 'ok');
      if (failed.length > 0) {
        const detail = failed.map(([name, outcome]) => `${name} unreachable: ${outcome}`).join('; ');
        return sendProblem(reply, request, 503, detail, { checks: { redis, storage } });
      }
      return { status: 'ready' as const, checks: { redis, storage } };
    },
  );
};
