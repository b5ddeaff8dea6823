// Every queue, with the schema of its job payload and of its result. Payloads carry ids and storage
// keys, never image bytes; results carry summaries, never bulk data (docs/architecture.md, "Data flow").
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { FACE_ENGINE_PATTERN } from '../engines/face-engine-id.js';
import { IdSchema } from '../ids.js';

export const QUEUE_NAMES = ['download', 'extract', 'curate', 'pairs', 'train', 'predict', 'enrol'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export function isQueueName(value: string): value is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(value);
}

const Identity = Type.String({ minLength: 1, maxLength: 128, description: 'Person name, one path part' });
const StorageKey = Type.String({ minLength: 1, maxLength: 1024 });
const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$' });

const DownloadPayload = Type.Object(
  {
    datasetId: IdSchema,
    identity: Identity,
    source: Type.Union([
      Type.Object({
        kind: Type.Literal('url'),
        url: Type.String({ pattern: '^https?://', maxLength: 4096 }),
      }),
      Type.Object({
        kind: Type.Literal('search'),
        query: Type.String({ minLength: 1, maxLength: 256 }),
        limit: Type.Integer({ minimum: 1, maximum: 200 }),
      }),
    ]),
  },
  { additionalProperties: false },
);
const DownloadResult = Type.Object({
  items: Type.Array(
    Type.Object({
      url: Type.String(),
      outcome: Type.Union([Type.Literal('stored'), Type.Literal('duplicate'), Type.Literal('failed')]),
      key: Type.Optional(StorageKey),
      reason: Type.Optional(Type.String()),
    }),
  ),
});

/** What describes the faces: face-api (the extractor's EXTRACT_DETECTOR finds them) or `onnx-<name>`. */
const Engine = Type.String({
  pattern: FACE_ENGINE_PATTERN,
  description: "faceapi or onnx-<name>; absent: the extractor's EXTRACT_ENGINE",
});

const ExtractPayload = Type.Object(
  {
    datasetId: IdSchema,
    identity: Identity,
    rawKey: StorageKey,
    sha256: Sha256,
    engine: Type.Optional(Engine),
  },
  { additionalProperties: false },
);
const ExtractResult = Type.Object({
  outcome: Type.Union([Type.Literal('face'), Type.Literal('no-face'), Type.Literal('rejected')]),
  faceCount: Type.Integer({ minimum: 0 }),
  faceKey: Type.Optional(StorageKey),
  grayKey: Type.Optional(StorageKey),
  reason: Type.Optional(Type.String()),
});

const CuratePayload = Type.Object(
  {
    datasetId: IdSchema,
    keepPerIdentity: Type.Integer({ minimum: 1, maximum: 10_000 }),
    /** Pipelines: first extract every photo of the dataset that has no face record yet (child jobs). */
    extractFirst: Type.Optional(Type.Boolean()),
    /**
     * The engine whose descriptors curation compares (and extractFirst extracts with: photos described
     * by another engine are extracted again). Absent: the engine most records were described by.
     */
    engine: Type.Optional(Engine),
  },
  { additionalProperties: false },
);
const CurateResult = Type.Object({
  identities: Type.Integer({ minimum: 0 }),
  kept: Type.Integer({ minimum: 0 }),
  rejected: Type.Integer({ minimum: 0 }),
});

const PairsPayload = Type.Object(
  {
    datasetId: IdSchema,
    pairsId: IdSchema,
    seed: Type.Integer(),
    pairsPerClass: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    validationShare: Type.Number({ minimum: 0, maximum: 0.9 }),
    testShare: Type.Number({ minimum: 0, maximum: 0.9 }),
    /** Photos per person held out of training and of the gallery (protocol b); at most half of theirs. */
    heldOutPhotos: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
  },
  { additionalProperties: false },
);
const PairsResult = Type.Object({
  pairs: Type.Integer({ minimum: 0 }),
  identities: Type.Object({ train: Type.Integer(), validation: Type.Integer(), test: Type.Integer() }),
});

const TrainPayload = Type.Object(
  {
    modelId: IdSchema,
    pairsId: IdSchema,
    architecture: Type.Union([Type.Literal('seed'), Type.Literal('transfer')]),
    hyperparameters: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String(), Type.Boolean()])),
  },
  { additionalProperties: false },
);
const TrainResult = Type.Object({
  epochs: Type.Integer({ minimum: 0 }),
  threshold: Type.Number(),
  metrics: Type.Record(Type.String(), Type.Number()),
});

const Box = Type.Object({ x: Type.Number(), y: Type.Number(), width: Type.Number(), height: Type.Number() });
const ModelRef = Type.String({ minLength: 1, maxLength: 64, description: 'A model id or faceapi-baseline' });

const PredictPayload = Type.Object(
  {
    modelId: ModelRef,
    task: Type.Union([Type.Literal('identify'), Type.Literal('verify')]),
    /** identify: one photo; verify: two. */
    imageKeys: Type.Array(StorageKey, { minItems: 1, maxItems: 2 }),
    topK: Type.Integer({ minimum: 1, maximum: 100 }),
    /** identify: every face of the photo, or only its primary (large, central) face. */
    faces: Type.Union([Type.Literal('all'), Type.Literal('primary')]),
    threshold: Type.Optional(Type.Number({ minimum: 0 })),
    /** Epoch ms after which nobody waits for the answer: the worker skips the job. */
    deadline: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
const Match = Type.Object({
  identity: Type.String(),
  distance: Type.Number(),
  score: Type.Number({ minimum: 0, maximum: 1 }),
});
const IdentifiedFace = Type.Object({
  box: Box,
  /** The nearest identity, or "unknown" when its distance is above the threshold. */
  identity: Type.String(),
  distance: Type.Union([Type.Number(), Type.Null()]),
  score: Type.Number({ minimum: 0, maximum: 1 }),
  matches: Type.Array(Match),
});
const PredictResult = Type.Object({
  modelId: Type.String(),
  threshold: Type.Number(),
  /** Set when a photo could not be used: which photo (0 or 1) and why. */
  problem: Type.Optional(
    Type.Object({
      kind: Type.Union([
        Type.Literal('no-face'),
        Type.Literal('rejected'),
        Type.Literal('expired'),
        // The gallery holds embeddings of another net than the model's (an ONNX model's files replaced).
        Type.Literal('conflict'),
      ]),
      photo: Type.Integer({ minimum: 0 }),
      reason: Type.String(),
    }),
  ),
  faces: Type.Optional(Type.Array(IdentifiedFace)),
  galleryIdentities: Type.Optional(Type.Integer({ minimum: 0 })),
  verification: Type.Optional(
    Type.Object({
      same: Type.Boolean(),
      distance: Type.Number(),
      score: Type.Number(),
      boxes: Type.Array(Box),
    }),
  ),
});

const EnrolPayload = Type.Union([
  Type.Object(
    {
      action: Type.Literal('enrol'),
      modelId: ModelRef,
      identity: Identity,
      imageKeys: Type.Array(StorageKey, { minItems: 1, maxItems: 100 }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      action: Type.Literal('enrol-dataset'),
      modelId: ModelRef,
      datasetId: IdSchema,
      /** Reference photos per identity, the most typical first; 0 = every kept face. */
      photosPerIdentity: Type.Integer({ minimum: 0, maximum: 10_000 }),
    },
    { additionalProperties: false },
  ),
]);
const EnrolResult = Type.Object({
  action: Type.String(),
  outcome: Type.Union([
    Type.Literal('enrolled'),
    Type.Literal('no-face'),
    // The gallery holds embeddings of another net (see `reason`); nothing was added.
    Type.Literal('conflict'),
  ]),
  reason: Type.Optional(Type.String()),
  identity: Type.Optional(Type.String()),
  /** Photos added to the gallery by this job. */
  enrolled: Type.Integer({ minimum: 0 }),
  identities: Type.Optional(Type.Integer({ minimum: 0 })),
  photos: Type.Optional(
    Type.Array(
      Type.Object({
        photo: Type.Integer({ minimum: 0 }),
        outcome: Type.Union([
          Type.Literal('enrolled'),
          Type.Literal('duplicate'),
          Type.Literal('no-face'),
          Type.Literal('rejected'),
        ]),
        reason: Type.Optional(Type.String()),
        box: Type.Optional(Box),
      }),
    ),
  ),
});

interface QueueSchemas {
  payload: TSchema;
  result: TSchema;
}

export const queueSchemas = {
  download: { payload: DownloadPayload, result: DownloadResult },
  extract: { payload: ExtractPayload, result: ExtractResult },
  curate: { payload: CuratePayload, result: CurateResult },
  pairs: { payload: PairsPayload, result: PairsResult },
  train: { payload: TrainPayload, result: TrainResult },
  predict: { payload: PredictPayload, result: PredictResult },
  enrol: { payload: EnrolPayload, result: EnrolResult },
} as const satisfies Record<QueueName, QueueSchemas>;

export type PayloadOf<Q extends QueueName> = Static<(typeof queueSchemas)[Q]['payload']>;
export type ResultOf<Q extends QueueName> = Static<(typeof queueSchemas)[Q]['result']>;
