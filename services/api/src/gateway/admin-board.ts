// The queue dashboard (bull-board) at /admin/queues, over every queue. It can retry, promote and delete
// jobs, so the auth hook lets only admin keys in (see auth.ts for the ?key= cookie a browser uses).

import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { QUEUE_NAMES } from '@faceshot/core/queues/definitions';
import type { JobQueues } from '@faceshot/core/queues/job-queues';
import type { ApiInstance } from '../api-instance.js';
import { ADMIN_PREFIX } from './auth.js';

export const QUEUE_BOARD_PATH = `${ADMIN_PREFIX}/queues`;

export async function registerAdminBoard(app: ApiInstance, queues: JobQueues): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: QUEUE_NAMES.map((name) => new BullMQAdapter(queues.queue(name))),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'faceshot queues' } },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: QUEUE_BOARD_PATH });
}
