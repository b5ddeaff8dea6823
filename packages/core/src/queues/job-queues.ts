// The producer side of every queue: validated enqueueing and status look-ups. Used by the API and by
// stages that fan out work. One shared fail-fast Redis connection serves every Queue object.
import { type FlowJob, FlowProducer, type Job, type JobNode, type JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { parseWithSchema } from '../schema.js';
import { type PayloadOf, type QueueName, queueSchemas } from './definitions.js';
import { JOB_STATES, type JobStatus } from './job-status.js';

function iso(epochMs: number | undefined): string | undefined {
  return epochMs === undefined || epochMs === 0 ? undefined : new Date(epochMs).toISOString();
}

export function toJobStatus(queue: QueueName, job: Job, state: string): JobStatus {
  const known = (JOB_STATES as readonly string[]).includes(state) ? (state as JobStatus['state']) : 'unknown';
  const progress = job.progress;
  const status: JobStatus = {
    id: job.id ?? '',
    queue,
    state: known,
    progress:
      typeof progress === 'number' || (typeof progress === 'object' && progress !== null) ? progress : 0,
    attempts: job.attemptsMade,
    maxAttempts: job.opts.attempts ?? 1,
    timestamps: { created: iso(job.timestamp) ?? new Date(0).toISOString() },
  };
  const started = iso(job.processedOn);
  const finished = iso(job.finishedOn);
  if (started !== undefined) status.timestamps.started = started;
  if (finished !== undefined) status.timestamps.finished = finished;
  if (known === 'completed') status.result = job.returnvalue;
  if (known === 'failed' && job.failedReason) status.failedReason = job.failedReason;
  return status;
}

/** A job of a flow tree: it runs after all its children. */
export type FlowNode = {
  [Q in QueueName]: {
    queue: Q;
    payload: PayloadOf<Q>;
    children?: FlowNode[];
    /**
     * What this job's failure does to its parent: fail it too (`true`: training without its pairs is
     * pointless), or let it run with what the other children produced (`false`, the default).
     */
    failsParent?: boolean;
  };
}[QueueName];

/** The ids of an enqueued flow tree, in the shape of the tree. */
export interface FlowIds {
  queue: QueueName;
  id: string;
  children: FlowIds[];
}

export class JobQueues {
  private readonly queues = new Map<QueueName, Queue>();
  private flows: FlowProducer | undefined;

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
    private readonly defaults: JobsOptions,
  ) {}

  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (queue === undefined) {
      queue = new Queue(name, {
        connection: this.connection,
        prefix: this.prefix,
        defaultJobOptions: this.defaults,
      });
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Validates the payload (SchemaError names the bad field) and adds the job; returns its id. */
  async enqueue<Q extends QueueName>(
    name: Q,
    payload: PayloadOf<Q>,
    options: JobsOptions = {},
  ): Promise<string> {
    const valid = parseWithSchema(queueSchemas[name].payload, payload, `${name} job payload`);
    const job = await this.queue(name).add(name, valid, options);
    if (job.id === undefined) throw new Error(`queue ${name} returned a job without id`);
    return job.id;
  }

  /** Validates every payload first (none is added if one is bad), then adds them in one round trip. */
  async enqueueMany<Q extends QueueName>(name: Q, payloads: readonly PayloadOf<Q>[]): Promise<string[]> {
    const valid = payloads.map((payload, index) =>
      parseWithSchema(queueSchemas[name].payload, payload, `${name} job payload [${index}]`),
    );
    const jobs = await this.queue(name).addBulk(valid.map((data) => ({ name, data })));
    return jobs.map((job) => job.id ?? '');
  }

  /**
   * A parent job that runs after all its children (a BullMQ flow). By default a failed child does not
   * hold the parent back (curation works with what the other extractions produced); with
   * `failParentOnChildFailure` the parent fails with it (training without its pairs).
   */
  async enqueueFlow<P extends QueueName, C extends QueueName>(
    parent: { queue: P; payload: PayloadOf<P> },
    children: { queue: C; payloads: readonly PayloadOf<C>[] },
    options: { failParentOnChildFailure?: boolean } = {},
  ): Promise<{ parentId: string; childIds: string[] }> {
    const parentData = parseWithSchema(
      queueSchemas[parent.queue].payload,
      parent.payload,
      `${parent.queue} job payload`,
    );
    const childData = children.payloads.map((payload, index) =>
      parseWithSchema(
        queueSchemas[children.queue].payload,
        payload,
        `${children.queue} job payload [${index}]`,
      ),
    );
    this.flows ??= new FlowProducer({ connection: this.connection, prefix: this.prefix });
    const tree = await this.flows.add({
      name: parent.queue,
      queueName: parent.queue,
      data: parentData,
      opts: this.defaults,
      children: childData.map((data) => ({
        name: children.queue,
        queueName: children.queue,
        data,
        opts: options.failParentOnChildFailure
          ? { ...this.defaults, failParentOnFailure: true }
          : { ...this.defaults, ignoreDependencyOnFailure: true },
      })),
    });
    return {
      parentId: tree.job.id ?? '',
      childIds: (tree.children ?? []).map((child) => child.job.id ?? ''),
    };
  }

  /** Validates every payload of the tree (none is added if one is bad), then adds the tree at once. */
  async enqueueTree(root: FlowNode): Promise<FlowIds> {
    const toFlowJob = (node: FlowNode, path: string): FlowJob => ({
      name: node.queue,
      queueName: node.queue,
      data: parseWithSchema(
        queueSchemas[node.queue].payload,
        node.payload,
        `${node.queue} job payload ${path}`,
      ),
      opts: node.failsParent
        ? { ...this.defaults, failParentOnFailure: true }
        : { ...this.defaults, ignoreDependencyOnFailure: true },
      children: (node.children ?? []).map((child, index) => toFlowJob(child, `${path}[${index}]`)),
    });
    const flowJob = toFlowJob(root, '');
    flowJob.opts = this.defaults;
    this.flows ??= new FlowProducer({ connection: this.connection, prefix: this.prefix });
    const toIds = (node: JobNode): FlowIds => ({
      queue: node.job.queueName as QueueName,
      id: node.job.id ?? '',
      children: (node.children ?? []).map(toIds),
    });
    return toIds(await this.flows.add(flowJob));
  }

  /**
   * Adds a job without validating it. Only for tests that prove workers reject malformed payloads.
   * @internal
   */
  async enqueueUnchecked(name: QueueName, payload: unknown): Promise<string> {
    const job = await this.queue(name).add(name, payload);
    return job.id ?? '';
  }

  async status(name: QueueName, id: string): Promise<JobStatus | undefined> {
    // The job hash and its state are two reads; a job that finishes between them would show a
    // terminal state with stale fields, so read the hash again until the two agree.
    for (let attempt = 1; ; attempt++) {
      const job = await this.queue(name).getJob(id);
      if (job === undefined || job === null) return undefined;
      const state = await job.getState();
      const terminal = state === 'completed' || state === 'failed';
      if (!terminal || job.finishedOn !== undefined || attempt === 3) return toJobStatus(name, job, state);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    this.queues.clear();
    await this.flows?.close();
    this.flows = undefined;
  }
}
