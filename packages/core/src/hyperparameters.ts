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
    targetFar: Type.Optional(
      Type.Number({
        minimum: 1e-4,
        maximum: 0.5,
        description: 'The false-accept rate the threshold is set for (default 0.01)',
      }),
    ),
    identityPull: Type.Optional(
      Type.Number({ minimum: 0, maximum: 100, description: 'transfer: pull towards the identity map' }),
    ),
    folds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 20,
        description: 'transfer: k of cross-validation over people (0: automatic for small datasets)',
      }),
    ),
    photosPerPerson: Type.Optional(
      Type.Integer({ minimum: 2, maximum: 64, description: 'transfer: photos per person in a batch' }),
    ),
    minImprovement: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description:
          'transfer: how far a trained epoch must beat the untouched baseline on validation to be kept (default 0.01)',
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      'Training overrides: epochs, batchSize, learningRate, margin, patience, seed, targetFar; transfer ' +
      'also identityPull, folds, photosPerPerson, minImprovement (the train stage refuses those for seed)',
  },
);
export type HyperparameterOverrides = Static<typeof HyperparametersSchema>;
