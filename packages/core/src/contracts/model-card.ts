// The model card (models/<id>/card.json): one schema, shared by the trainer that writes it, the
// predictor and CLI that read it, and the API that serves it (the web page shows what the API sends).
// Every recognition figure sits beside faceapi-baseline's on the same people, photos and gallery.
// Objects allow extra properties, so a newer writer (a face-engine field, say) never breaks a reader.
import { type Static, Type } from '@sinclair/typebox';

const Nullable = <T extends ReturnType<typeof Type.Number>>(schema: T) => Type.Union([schema, Type.Null()]);

/** One figure of one model: a single measurement, or the mean and standard deviation over folds. */
export const FigureSchema = Type.Object(
  {
    value: Nullable(
      Type.Number({ description: 'The figure, or the mean over folds; null when not measurable' }),
    ),
    sd: Type.Optional(Type.Number({ description: 'Standard deviation over the folds' })),
    folds: Type.Optional(Type.Array(Nullable(Type.Number()), { description: 'The figure of each fold' })),
  },
  { additionalProperties: true },
);
export type Figure = Static<typeof FigureSchema>;

export const METRIC_NAMES = ['top1', 'oneShot5Way', 'oneShotAllWay', 'auc', 'tarAtFar'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** A metric for the trained model and for faceapi-baseline, measured the same way on the same data. */
export const ComparedMetricSchema = Type.Object(
  {
    metric: Type.Union(METRIC_NAMES.map((name) => Type.Literal(name))),
    label: Type.String(),
    trained: FigureSchema,
    baseline: FigureSchema,
    /** trained − baseline (means); null when either is missing. */
    difference: Nullable(Type.Number()),
    /** True when the trained model's figure is higher (every metric here: higher is better). */
    beatsBaseline: Type.Union([Type.Boolean(), Type.Null()]),
  },
  { additionalProperties: true },
);
export type ComparedMetric = Static<typeof ComparedMetricSchema>;

export const PROTOCOL_NAMES = ['unseenPeople', 'heldOutPhotos'] as const;
export type ProtocolName = (typeof PROTOCOL_NAMES)[number];

export const ProtocolResultSchema = Type.Object(
  {
    protocol: Type.Union(PROTOCOL_NAMES.map((name) => Type.Literal(name))),
    /** What was measured, in a sentence (who is in the gallery, what the probes are). */
    description: Type.String(),
    /** People measured (with folds: per fold, the smallest). */
    people: Type.Integer({ minimum: 0 }),
    probes: Type.Integer({ minimum: 0 }),
    /** Probe photos without a usable face: counted as errors for both models. */
    missed: Type.Integer({ minimum: 0 }),
    galleryPhotos: Type.Integer({ minimum: 0 }),
    /** k of k-fold cross-validation over identities; 1 = a single identity split. */
    folds: Type.Integer({ minimum: 0 }),
    /** Set when fewer than 5 people stand behind a figure: read those figures with care. */
    warning: Type.Optional(Type.String()),
    metrics: Type.Array(ComparedMetricSchema),
  },
  { additionalProperties: true },
);
export type ProtocolResult = Static<typeof ProtocolResultSchema>;

export const EpochReportSchema = Type.Object(
  {
    epoch: Type.Integer({ minimum: 1 }),
    /** Null when not measurable (a NaN is written as null). */
    loss: Nullable(Type.Number()),
    /** Recognition on the validation people: what early stopping watches (higher is better). */
    valScore: Type.Optional(Nullable(Type.Number())),
    valOneShotAllWay: Type.Optional(Nullable(Type.Number())),
    valTarAtFar: Type.Optional(Nullable(Type.Number())),
    valAuc: Type.Optional(Nullable(Type.Number())),
    /** Pair architectures also report the contrastive loss of the validation pairs. */
    valLoss: Type.Optional(Nullable(Type.Number())),
    seconds: Type.Number(),
    fold: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: true },
);
export type EpochReport = Static<typeof EpochReportSchema>;

export const ThresholdSchema = Type.Object(
  {
    /** "Same person" when the Euclidean distance is at most this. */
    distance: Type.Number(),
    targetFar: Type.Number({ minimum: 0, maximum: 1 }),
    /** The false-accept rate measured at that distance (strangers accepted / strangers). */
    measuredFar: Nullable(Type.Number()),
    /** Where it was measured: the gallery and the strangers probed against it. */
    measuredOn: Type.String(),
    galleryPeople: Type.Integer({ minimum: 0 }),
    impostorProbes: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: true },
);
export type CardThreshold = Static<typeof ThresholdSchema>;

export const ModelCardSchema = Type.Object(
  {
    modelId: Type.String(),
    architecture: Type.Union([Type.Literal('seed'), Type.Literal('transfer')]),
    /**
     * The face detector that found the training faces; the predictor reads query photos with it.
     * Absent on cards written before detectors were recorded (their faces came from ssd). A string,
     * not an enum: a card naming a detector this build lacks is refused when served, with its name.
     */
    detector: Type.Optional(Type.String()),
    /**
     * What made the descriptors and crops the model was trained on and reads: `faceapi` (absent on
     * older cards) or an installed ONNX model `onnx-<name>` (then `detector` names it too).
     */
    engine: Type.Optional(Type.String()),
    /**
     * The training faces' embedding space: `faceapi-128` or `onnx-<name>@<digest of its recognition
     * net>`. The predictor refuses to serve the model when the installed net is another one.
     */
    embeddingSpace: Type.Optional(Type.String()),
    createdAt: Type.String(),
    backend: Type.String(),
    hyperparameters: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String(), Type.Boolean()])),
    data: Type.Object(
      {
        datasetId: Type.String(),
        pairsId: Type.String(),
        pairs: Type.Object({ train: Type.Integer(), validation: Type.Integer(), test: Type.Integer() }),
        imageShape: Type.Array(Type.Integer()),
        trainingFaces: Type.Optional(Type.Integer({ minimum: 0 })),
      },
      { additionalProperties: true },
    ),
    /** Identities per split of the shipped model (with folds: everyone trains it; see protocols). */
    split: Type.Object({
      train: Type.Array(Type.String()),
      validation: Type.Array(Type.String()),
      test: Type.Array(Type.String()),
    }),
    /** With cross-validation (small datasets): the people of each fold. */
    folds: Type.Optional(Type.Array(Type.Array(Type.String()))),
    /** Early stopping's view: the validation people's figures before training (= baseline) and at the kept epoch. */
    validation: Type.Optional(
      Type.Object(
        {
          people: Type.Integer({ minimum: 0 }),
          baseline: Type.Optional(Type.Record(Type.String(), Nullable(Type.Number()))),
          trained: Type.Optional(Type.Record(Type.String(), Nullable(Type.Number()))),
          bestEpoch: Type.Optional(Type.Integer({ minimum: 0 })),
          /** With cross-validation: the best epoch of each fold. */
          foldBestEpochs: Type.Optional(Type.Array(Type.Integer({ minimum: 0 }))),
          measuredOn: Type.Optional(Type.String()),
        },
        { additionalProperties: true },
      ),
    ),
    /** Face ids (photo sha256) held out of training and of the gallery, per identity: protocol (b)'s probes. */
    heldOut: Type.Record(Type.String(), Type.Array(Type.String())),
    /** The distance threshold, as a number (what predictors use) … */
    threshold: Type.Number(),
    /** … and how it was chosen. */
    thresholdRule: ThresholdSchema,
    protocols: Type.Object({
      unseenPeople: ProtocolResultSchema,
      heldOutPhotos: ProtocolResultSchema,
    }),
    /** No compared metric of either protocol is below the baseline's, and at least one is above. */
    beatsBaseline: Type.Boolean(),
    /** Flat figures of the trained model, for lists and dashboards. */
    metrics: Type.Record(Type.String(), Type.Number()),
    roc: Type.Optional(Type.Object({ fpr: Type.Array(Type.Number()), tpr: Type.Array(Type.Number()) })),
    timings: Type.Object(
      {
        totalSeconds: Type.Number(),
        epochs: Type.Integer({ minimum: 0 }),
        trainPairsPerSecond: Type.Optional(Type.Number()),
        trainFacesPerSecond: Type.Optional(Type.Number()),
      },
      { additionalProperties: true },
    ),
    history: Type.Array(EpochReportSchema),
  },
  { additionalProperties: true },
);
export type ModelCard = Static<typeof ModelCardSchema>;

/**
 * What serving (predictor, CLI) needs of a trained model's card: picked from the card schema, with the
 * held-out photos optional so that cards written before protocol (b) still load.
 */
export const ServingCardSchema = Type.Object(
  {
    architecture: ModelCardSchema.properties.architecture,
    threshold: ModelCardSchema.properties.threshold,
    detector: ModelCardSchema.properties.detector,
    engine: ModelCardSchema.properties.engine,
    embeddingSpace: ModelCardSchema.properties.embeddingSpace,
    heldOut: Type.Optional(ModelCardSchema.properties.heldOut),
    split: Type.Optional(ModelCardSchema.properties.split),
  },
  { additionalProperties: true },
);
export type ServingCard = Static<typeof ServingCardSchema>;

/**
 * The card of a built-in model: faceapi-baseline (trained by face-api's authors) or an
 * operator-installed ONNX model (`onnx-<name>`): what it is, its threshold and distance, the engine
 * that makes its embeddings and their size.
 */
export const BuiltInCardSchema = Type.Object(
  {
    modelId: Type.String(),
    architecture: Type.Union([Type.Literal('faceapi-baseline'), Type.Literal('onnx')]),
    description: Type.String(),
    threshold: Type.Number(),
    metrics: Type.Record(Type.String(), Type.Number()),
    engine: Type.Optional(Type.String({ description: '`faceapi` or `onnx-<name>`' })),
    distance: Type.Optional(Type.Union([Type.Literal('euclidean'), Type.Literal('cosine')])),
    embeddingSize: Type.Optional(Type.Integer()),
    licence: Type.Optional(
      Type.String({ description: "An ONNX model's licence, as its manifest states it" }),
    ),
  },
  { additionalProperties: true },
);
export type BuiltInCard = Static<typeof BuiltInCardSchema>;

/** What GET /v1/models/:id may carry as `card`. */
export const AnyCardSchema = Type.Union([ModelCardSchema, BuiltInCardSchema]);

/** A compared metric from both models' figures (higher is better for every metric on the card). */
export function compareMetric(
  metric: MetricName,
  label: string,
  trained: Figure,
  baseline: Figure,
): ComparedMetric {
  const difference =
    trained.value === null || baseline.value === null ? null : trained.value - baseline.value;
  return {
    metric,
    label,
    trained,
    baseline,
    difference,
    beatsBaseline: difference === null ? null : difference > 0,
  };
}
