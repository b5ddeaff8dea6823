import { isQueueName, QUEUE_NAMES } from '@faceshot/core/queues/definitions';
import type { JobQueues } from '@faceshot/core/queues/job-queues';
import { JobStatusSchema } from '@faceshot/core/queues/job-status';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { HttpProblem, ProblemSchema } from '../problem.js';
import { EventStreamResponse, streamEvents } from '../server-sent-events.js';

export interface JobRouteDependencies {
  queues: JobQueues;
  eventsIntervalMs: number;
}

const JobParams = Type.Object({
  queue: Type.String({ description: `One of ${QUEUE_NAMES.join(', ')}` }),
  id: Type.String({ minLength: 1, maxLength: 256 }),
});

export const jobRoutes: FastifyPluginAsyncTypebox<JobRouteDependencies> = async (app, deps) => {
  async function statusOr404(queue: string, id: string) {
    if (!isQueueName(queue)) {
      throw new HttpProblem(404, `unknown queue "${queue}"; queues are ${QUEUE_NAMES.join(', ')}`);
    }
    const status = await deps.queues.status(queue, id);
    if (status === undefined) throw new HttpProblem(404, `no job "${id}" in queue "${queue}"`);
    return status;
  }

  app.get(
    '/v1/jobs/:queue/:id',
    {
      schema: {
        summary: 'State, progress and result of one job',
        params: JobParams,
        response: { 200: JobStatusSchema, 404: ProblemSchema },
      },
    },
    async (request) => statusOr404(request.params.queue, request.params.id),
  );

  app.get(
    '/v1/jobs/:queue/:id/events',
    {
      schema: {
        summary: "A job's state and progress as Server-Sent Events",
        description:
          'text/event-stream: `event: progress` with the job status (as GET /v1/jobs/:queue/:id) whenever it changes, ' +
          'then `event: end` once it completed or failed.',
        params: JobParams,
        response: {
          200: EventStreamResponse,
          404: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const { queue, id } = request.params;
      await statusOr404(queue, id);
      await streamEvents(request, reply, {
        intervalMs: deps.eventsIntervalMs,
        read: async () => {
          const status = await statusOr404(queue, id);
          return { data: status, done: status.state === 'completed' || status.state === 'failed' };
        },
      });
    },
  );
};
