// Request fields that more than one route takes (datasets, models, pipelines): one schema each, so a
// limit or a description changes in one place.
import { HyperparametersSchema } from '@faceshot/core/hyperparameters';
import { type Static, Type } from '@sinclair/typebox';

/** A person's name as a request gives it (checked further by identityOr400). */
export const IdentityName = Type.String({ minLength: 1, maxLength: 128 });

/** Photos a name search downloads when the request gives no limit (the original project used 20 per person). */
export const DEFAULT_SEARCH_LIMIT = 20;

export const DownloadUrlItem = Type.Object(
  { identity: IdentityName, url: Type.String({ pattern: '^https?://', maxLength: 4096 }) },
  { additionalProperties: false },
);

export const DownloadQueryItem = Type.Object(
  {
    identity: IdentityName,
    query: Type.String({ minLength: 1, maxLength: 256 }),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 200,
        description: `Photos to download; default ${DEFAULT_SEARCH_LIMIT}`,
      }),
    ),
  },
  { additionalProperties: false },
);

export const DOWNLOAD_ITEMS_MAX = 1000;
export const DOWNLOAD_QUERIES_MAX = 100;

export const ArchitectureSchema = Type.Union([Type.Literal('transfer'), Type.Literal('seed')]);

/** What a training request may set besides the dataset and the architecture (models and pipelines). */
export const TrainingFields = {
  hyperparameters: Type.Optional(HyperparametersSchema),
  pairsPerClass: Type.Optional(
    Type.Integer({ minimum: 10, maximum: 1_000_000, description: 'default 20000, as the seed' }),
  ),
  validationShare: Type.Optional(Type.Number({ minimum: 0.05, maximum: 0.5 })),
  testShare: Type.Optional(Type.Number({ minimum: 0.05, maximum: 0.5 })),
  heldOutPhotos: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 1000,
      description:
        'Photos per person held out of training and of the gallery to measure the model on its own people ' +
        "(protocol b); at most half of anyone's photos (default 5)",
    }),
  ),
  seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 })),
  enrolPhotosPerIdentity: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 10_000,
      description:
        "After training, enrol the dataset's people into the model's gallery with this many reference " +
        'photos each, the most typical first (default 1; 0 = every kept face)',
    }),
  ),
};

export type DownloadUrl = Static<typeof DownloadUrlItem>;
export type DownloadQuery = Static<typeof DownloadQueryItem>;
