// pairs/<pairsId>/meta.json: what the pairs stage drew beside the three .npy arrays, read by training.
// One schema; training reads it through readStoredDocument.
import { type Static, Type } from '@sinclair/typebox';

const Split = Type.Object({
  identities: Type.Array(Type.String()),
  start: Type.Integer({ minimum: 0 }),
  count: Type.Integer({ minimum: 0 }),
  similar: Type.Integer({ minimum: 0 }),
  dissimilar: Type.Integer({ minimum: 0 }),
});

export const PairsMetaSchema = Type.Object({
  pairsId: Type.String(),
  datasetId: Type.String(),
  seed: Type.Integer(),
  createdAt: Type.String(),
  imageShape: Type.Tuple([Type.Integer(), Type.Integer(), Type.Integer()]),
  count: Type.Integer({ minimum: 0 }),
  /** Rows [start, start + count) of the arrays belong to each split. */
  splits: Type.Object({ train: Split, validation: Split, test: Split }),
  /** Face keys (grey images) of every pair, in array order: [x1 key, x2 key, y]. */
  pairs: Type.Array(
    Type.Tuple([Type.String(), Type.String(), Type.Union([Type.Literal(0), Type.Literal(1)])]),
  ),
  /**
   * Per person, the face ids (photo sha256) held out of every pair, of training and of the gallery:
   * `faces` have a usable face, `missed` do not (protocol b counts them as errors).
   */
  heldOut: Type.Record(
    Type.String(),
    Type.Object({ faces: Type.Array(Type.String()), missed: Type.Array(Type.String()) }),
  ),
});
export type PairsMeta = Static<typeof PairsMetaSchema>;
