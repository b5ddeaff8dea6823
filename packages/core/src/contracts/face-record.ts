// The documents extraction and curation store per dataset, one TypeBox schema each (types come from
// them): what extraction records about one raw photo, at datasets/<id>/records/<identity>/<sha256>.json
// (`faceId` is the raw photo's sha256, so a face is named by the photo it came from), and curation's
// decisions, at datasets/<id>/curation.json. Readers check them (stored-document.ts): a document
// that does not match is an error naming its first bad field, never a silently wrong value.
// Objects allow extra properties, so a newer writer never breaks an older reader.
import { type Static, Type } from '@sinclair/typebox';

const Point = Type.Tuple([Type.Number(), Type.Number()]);
const BoxSchema = Type.Object({
  x: Type.Number(),
  y: Type.Number(),
  width: Type.Number(),
  height: Type.Number(),
});

export const FaceRecordSchema = Type.Object({
  faceId: Type.String(),
  identity: Type.String(),
  rawKey: Type.String(),
  outcome: Type.Union([Type.Literal('face'), Type.Literal('no-face'), Type.Literal('rejected')]),
  reason: Type.Optional(Type.String()),
  faceKey: Type.Optional(Type.String()),
  grayKey: Type.Optional(Type.String()),
  box: Type.Optional(BoxSchema),
  score: Type.Optional(Type.Number()),
  /** 68 points (face-api, an ONNX landmark net) or an ONNX detector's five keypoints. */
  landmarks: Type.Optional(Type.Array(Point)),
  descriptor: Type.Optional(Type.Array(Type.Number())),
  faceCount: Type.Integer({ minimum: 0 }),
  imageWidth: Type.Optional(Type.Integer()),
  imageHeight: Type.Optional(Type.Integer()),
  eyeAngleDeg: Type.Optional(Type.Number()),
  blur: Type.Optional(Type.Number()),
  padded: Type.Optional(Type.Boolean()),
  /** The configured face detector (absent on records from before it was recorded: ssd). */
  detector: Type.Optional(Type.String()),
  /** The detector that found the box (the configured one, or the Tiny detector's padded retry). */
  foundBy: Type.Optional(Type.String()),
  /**
   * What made the landmarks and descriptor: `faceapi` (absent on records from before it was
   * recorded), or `onnx-<name>`. Training and dataset enrolment refuse descriptors of another engine.
   */
  engine: Type.Optional(Type.String()),
  /**
   * What the descriptor is: `faceapi-128`, or `onnx-<name>@<digest of its recognition net>` (absent
   * on records from before it was recorded). Training follows it onto the model card, so a model
   * is never served with another net's embeddings.
   */
  embeddingSpace: Type.Optional(Type.String()),
  extractedAt: Type.String(),
});
export type FaceRecord = Static<typeof FaceRecordSchema>;

const CurationStatusSchema = Type.Union([Type.Literal('kept'), Type.Literal('rejected')]);
export type CurationStatus = Static<typeof CurationStatusSchema>;

export const CurationDecisionSchema = Type.Object({
  identity: Type.String(),
  status: CurationStatusSchema,
  reason: Type.Optional(Type.String()),
  /** Distance of the descriptor to the identity's consensus face, in the engine's metric. */
  distance: Type.Optional(Type.Number()),
  /** True when a person's override decided this face. */
  overridden: Type.Optional(Type.Boolean()),
});
export type CurationDecision = Static<typeof CurationDecisionSchema>;

export const CurationSchema = Type.Object({
  datasetId: Type.String(),
  curatedAt: Type.String(),
  params: Type.Object({
    keepPerIdentity: Type.Integer({ minimum: 1 }),
    /** The descriptors compared (absent on curations from before engines: faceapi-128). */
    embeddingSpace: Type.Optional(Type.String()),
    distance: Type.Optional(Type.Union([Type.Literal('cosine'), Type.Literal('euclidean')])),
    wrongPersonDistance: Type.Number(),
    clusterDistance: Type.Number(),
    minScore: Type.Number(),
    minFacePixels: Type.Number(),
  }),
  faces: Type.Record(Type.String(), CurationDecisionSchema),
});
export type Curation = Static<typeof CurationSchema>;
