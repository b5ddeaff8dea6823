// What extraction records about one raw photo, at datasets/<id>/records/<identity>/<sha256>.json.
// `faceId` is the raw photo's sha256, so a face is named by the photo it came from.
export interface FaceRecord {
  faceId: string;
  identity: string;
  rawKey: string;
  outcome: 'face' | 'no-face' | 'rejected';
  reason?: string;
  faceKey?: string;
  grayKey?: string;
  box?: { x: number; y: number; width: number; height: number };
  score?: number;
  landmarks?: [number, number][];
  descriptor?: number[];
  faceCount: number;
  imageWidth?: number;
  imageHeight?: number;
  eyeAngleDeg?: number;
  blur?: number;
  padded?: boolean;
  /** The configured face detector (absent on records from before it was recorded: ssd). */
  detector?: string;
  /** The detector that found the box (the configured one, or the Tiny detector's padded retry). */
  foundBy?: string;
  /**
   * What made the landmarks and descriptor: `faceapi` (absent on records from before it was
   * recorded), or `onnx-<name>`. Training and dataset enrolment refuse descriptors of another engine.
   */
  engine?: string;
  /**
   * What the descriptor is: `faceapi-128`, or `onnx-<name>@<digest of its recognition net>` (absent
   * on records from before it was recorded). Training follows it onto the model card, so a model
   * is never served with another net's embeddings.
   */
  embeddingSpace?: string;
  extractedAt: string;
}

export type CurationStatus = 'kept' | 'rejected';

export interface CurationDecision {
  identity: string;
  status: CurationStatus;
  reason?: string;
  /** Distance of the descriptor to the identity's consensus face, in the engine's metric. */
  distance?: number;
  /** True when a person's override decided this face. */
  overridden?: boolean;
}

/** datasets/<id>/curation.json */
export interface Curation {
  datasetId: string;
  curatedAt: string;
  params: {
    keepPerIdentity: number;
    /** The descriptors compared (absent on curations from before engines: faceapi-128). */
    embeddingSpace?: string;
    distance?: 'cosine' | 'euclidean';
    wrongPersonDistance: number;
    clusterDistance: number;
    minScore: number;
    minFacePixels: number;
  };
  faces: Record<string, CurationDecision>;
}
