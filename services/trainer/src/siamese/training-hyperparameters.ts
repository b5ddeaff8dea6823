// Each architecture's hyperparameters: its defaults, and a job's overrides checked against the API's
// ranges (HyperparametersSchema), since a payload may come from a queue client that skipped the API.
import { HyperparametersSchema } from '@faceshot/core/hyperparameters';
import { PermanentJobError } from '@faceshot/core/queues/permanent-job-error';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Hyperparameters } from './train-siamese.js';
import type { TransferHyperparameters } from './transfer-training.js';

/**
 * The seed's own settings (README, "Training a model"), plus the false-accept rate its threshold is
 * set for.
 */
export const SEED_DEFAULTS = {
  epochs: 50,
  batchSize: 128,
  learningRate: 1e-3,
  margin: 1,
  patience: 10,
  seed: 1,
  targetFar: 0.01,
};

/**
 * The transfer head's settings, measured on lfw-dev and seed-gray-faces (bench/results): P×K batches of
 * 32 people × 4 photos, batch-hard triplet margin, Adam, a light pull towards the identity map.
 */
export const TRANSFER_DEFAULTS: TransferHyperparameters = {
  epochs: 60,
  batchSize: 128,
  learningRate: 1e-3,
  margin: 0.2,
  patience: 10,
  seed: 1,
  targetFar: 0.01,
  identityPull: 0.01,
  folds: 0,
  photosPerPerson: 4,
  minImprovement: 0.01,
};

/**
 * A hyperparameter's schema: the API's (HyperparametersSchema), so a job payload is held to the ranges
 * a request is (a payload may come from a queue client that skipped the API).
 */
function schemaOf(name: keyof TransferHyperparameters): TSchema & { minimum?: number; maximum?: number } {
  return HyperparametersSchema.properties[name];
}

/** The architecture's defaults with the request's overrides, each known to it and checked against its range. */
export function hyperparametersFrom<A extends 'seed' | 'transfer'>(
  architecture: A,
  given: Record<string, number | string | boolean>,
): A extends 'seed' ? Hyperparameters : TransferHyperparameters {
  const result: Record<string, number> = { ...(architecture === 'seed' ? SEED_DEFAULTS : TRANSFER_DEFAULTS) };
  for (const [name, value] of Object.entries(given)) {
    if (!(name in result))
      throw new PermanentJobError(
        `unknown hyperparameter "${name}" for ${architecture} (known: ${Object.keys(result).join(', ')})`,
      );
    const schema = schemaOf(name as keyof TransferHyperparameters);
    if (typeof value !== 'number' || !Value.Check(schema, value)) {
      const kind = schema.type === 'integer' ? 'an integer' : 'a number';
      throw new PermanentJobError(
        `hyperparameter ${name} must be ${kind} from ${schema.minimum} to ${schema.maximum}`,
      );
    }
    result[name] = value;
  }
  return result as unknown as A extends 'seed' ? Hyperparameters : TransferHyperparameters;
}
