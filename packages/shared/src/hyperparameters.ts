// The training hyperparameters a request may set, each with its range: the HTTP schema of
// POST /v1/models and /v1/pipelines, so a bad value is a 400 at once instead of a train job that fails
// later. (The train stage checks the same ranges again on the job payload.)
import { type Static, Type } from '@sinclair/typebox';

export const HyperparametersSchema = Type.Object(
  {
    epochs: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096 })),
    learningRate: Type.Optional(Type.Number({ minimum: 1e-7, maximum: 1 })),
    margin: Type.Optional(Type.Number({ minimum: 0.01, maximum: 100 })),
    patience: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 })),
  },
  {
    additionalProperties: false,
    description: 'Training overrides: epochs, batchSize, learningRate, margin, patience, seed',
  },
);
export type HyperparameterOverrides = Static<typeof HyperparametersSchema>;
