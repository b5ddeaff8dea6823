import { isQueueName, QUEUE_NAMES } from '@faceshot/shared/queues/definitions';
import type { JobQueues } from '@faceshot/shared/queues/job-queues';
import { JobStatusSchema } from '@faceshot/shared/queues/job-status';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { HttpProblem, ProblemSchema } from '../problem.js';

export interface JobRouteDependencies {
  queues: JobQueues;
}

export const jobRoutes: FastifyPluginAsyncTypebox<JobRouteDependencies> = async (app, deps) => {
  app.get(
    '/v1/jobs/:queue/:id',
    {
      schema: {
        summary: 'State, progress and result of one job',
        params: Type.Object({
          queue: Type.String({ description: `One of ${QUEUE_NAMES.join(', ')}` }),
          id: Type.String({ minLength: 1, maxLength: 256 }),
        }),
        response: { 200: JobStatusSchema, 404: ProblemSchema },
      },
    },
    async (request) => {
      const { queue, id } = request.params;
      if (!isQueueName(queue)) {
        throw new HttpProblem(404, `unknown queue "${queue}"; queues are ${QUEUE_NAMES.join(', ')}`);
      }
      const status = await deps.queues.status(queue, id);
      if (status === undefined) throw new HttpProblem(404, `no job "${id}" in queue "${queue}"`);
      return status;
    },
  );
};
