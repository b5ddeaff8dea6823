import { type Static, Type } from '@sinclair/typebox';

export const JOB_STATES = [
  'waiting',
  'delayed',
  'prioritized',
  'waiting-children',
  'active',
  'completed',
  'failed',
  'unknown',
] as const;

export const JobStatusSchema = Type.Object(
  {
    id: Type.String(),
    queue: Type.String(),
    state: Type.Union(JOB_STATES.map((state) => Type.Literal(state))),
    progress: Type.Union([Type.Number(), Type.Object({}, { additionalProperties: true })]),
    attempts: Type.Integer({ minimum: 0, description: 'Attempts made so far' }),
    maxAttempts: Type.Integer({ minimum: 1 }),
    result: Type.Optional(Type.Unknown()),
    failedReason: Type.Optional(Type.String()),
    timestamps: Type.Object({
      created: Type.String({ description: 'ISO 8601' }),
      started: Type.Optional(Type.String()),
      finished: Type.Optional(Type.String()),
    }),
  },
  { $id: 'JobStatus' },
);

export type JobStatus = Static<typeof JobStatusSchema>;
