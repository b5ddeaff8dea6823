// Storage keys for the layout in docs/architecture.md ("Data flow"). Every key that reaches an
// ObjectStore passes `assertValidKey`, so a hostile identity or id can never escape its prefix on
// either backend.

/** A key, prefix or identity name that cannot be used; the message says why. */
export class InvalidKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidKeyError';
  }
}

// C0 controls, DEL and C1 controls: invisible in logs and file names, and a classic injection vector.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
const MAX_KEY_BYTES = 1024;
export const MAX_IDENTITY_LENGTH = 128;

function segmentProblem(segment: string): string | undefined {
  if (segment === '') return 'has an empty part';
  if (segment === '.' || segment === '..') return `has a "${segment}" part`;
  if (segment.startsWith('.')) return 'has a part starting with "."';
  if (segment.includes('\\')) return 'contains a backslash';
  if (CONTROL_CHARACTERS.test(segment)) return 'contains a control character';
  return undefined;
}

/** A full object key: "a/b/c", no empty, dot or dot-dot parts, no control characters or backslashes. */
export function assertValidKey(key: string): void {
  if (key === '') throw new InvalidKeyError('object key is empty');
  if (Buffer.byteLength(key) > MAX_KEY_BYTES)
    throw new InvalidKeyError(`object key is over ${MAX_KEY_BYTES} bytes`);
  for (const segment of key.split('/')) {
    const problem = segmentProblem(segment);
    if (problem !== undefined) throw new InvalidKeyError(`object key "${printable(key)}" ${problem}`);
  }
}

/** A list prefix: empty (everything), or complete parts optionally followed by a partial last part. */
export function assertValidPrefix(prefix: string): void {
  if (prefix === '') return;
  const parts = prefix.split('/');
  // A trailing "/" leaves an empty last part, which is allowed for prefixes; so is a partial last part.
  const last = parts.pop() ?? '';
  for (const segment of parts) {
    const problem = segmentProblem(segment);
    if (problem !== undefined) throw new InvalidKeyError(`prefix "${printable(prefix)}" ${problem}`);
  }
  if (last !== '' && last !== '.' && last !== '..') {
    const problem = segmentProblem(last);
    if (problem !== undefined) throw new InvalidKeyError(`prefix "${printable(prefix)}" ${problem}`);
  } else if (last !== '') {
    throw new InvalidKeyError(`prefix "${printable(prefix)}" has a "${last}" part`);
  }
}

/** A person's name as used in keys and galleries: one path part, 1-128 characters, no leading/trailing space. */
export function assertValidIdentity(identity: string): void {
  if (identity.length === 0) throw new InvalidKeyError('identity is empty');
  if (identity.length > MAX_IDENTITY_LENGTH) {
    throw new InvalidKeyError(`identity is longer than ${MAX_IDENTITY_LENGTH} characters`);
  }
  if (identity.includes('/')) throw new InvalidKeyError(`identity "${printable(identity)}" contains "/"`);
  if (identity.trim() !== identity) {
    throw new InvalidKeyError(`identity "${printable(identity)}" starts or ends with white space`);
  }
  const problem = segmentProblem(identity);
  if (problem !== undefined) throw new InvalidKeyError(`identity "${printable(identity)}" ${problem}`);
}

function printable(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

function part(value: string, what: string): string {
  const problem = segmentProblem(value);
  if (problem !== undefined) throw new InvalidKeyError(`${what} "${printable(value)}" ${problem}`);
  if (value.includes('/')) throw new InvalidKeyError(`${what} "${printable(value)}" contains "/"`);
  return value;
}

function identityPart(identity: string): string {
  assertValidIdentity(identity);
  return identity;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const EXTENSION = /^[a-z0-9]{1,8}$/;

function sha(value: string): string {
  if (!SHA256_HEX.test(value))
    throw new InvalidKeyError(`"${printable(value)}" is not a lowercase sha256 hex digest`);
  return value;
}

/** The bucket layout: which stage writes where is in docs/architecture.md ("Data flow"). */
export const storageKeys = {
  datasetPrefix: (datasetId: string) => `datasets/${part(datasetId, 'dataset id')}/`,
  identityPrefix: (datasetId: string, stage: 'raw' | 'faces' | 'gray' | 'records', identity: string) =>
    `datasets/${part(datasetId, 'dataset id')}/${stage}/${identityPart(identity)}/`,
  raw: (datasetId: string, identity: string, sha256: string, extension: string) => {
    if (!EXTENSION.test(extension))
      throw new InvalidKeyError(`file extension "${printable(extension)}" is invalid`);
    return `datasets/${part(datasetId, 'dataset id')}/raw/${identityPart(identity)}/${sha(sha256)}.${extension}`;
  },
  face: (datasetId: string, identity: string, sha256: string) =>
    `datasets/${part(datasetId, 'dataset id')}/faces/${identityPart(identity)}/${sha(sha256)}.png`,
  gray: (datasetId: string, identity: string, sha256: string) =>
    `datasets/${part(datasetId, 'dataset id')}/gray/${identityPart(identity)}/${sha(sha256)}.png`,
  faceRecord: (datasetId: string, identity: string, sha256: string) =>
    `datasets/${part(datasetId, 'dataset id')}/records/${identityPart(identity)}/${sha(sha256)}.json`,
  curation: (datasetId: string) => `datasets/${part(datasetId, 'dataset id')}/curation.json`,
  pairsFile: (pairsId: string, file: 'x1.npy' | 'x2.npy' | 'y.npy' | 'meta.json') =>
    `pairs/${part(pairsId, 'pairs id')}/${file}`,
  modelFile: (modelId: string, file: 'model.json' | 'weights.bin' | 'card.json' | 'checkpoint.json') =>
    `models/${part(modelId, 'model id')}/${file}`,
  /** A model's gallery reference photos; `photoId` is random, so a renamed identity keeps its files. */
  /** Operator-installed ONNX models (`faceshot onnx-models push`), mirrored by ONNX_MODELS_FROM_STORE. */
  onnxModelsPrefix: () => 'onnx-models/',
  onnxModelFile: (name: string, file: string) =>
    `onnx-models/${part(name, 'ONNX model name')}/${part(file, 'ONNX model file')}`,
  galleryPrefix: (modelId: string) => `galleries/${part(modelId, 'model id')}/`,
  galleryPhoto: (modelId: string, photoId: string) =>
    `galleries/${part(modelId, 'model id')}/${part(photoId, 'photo id')}.png`,
  /** A photo sent to identify/verify/enrol, kept only until its job is done. */
  upload: (uploadId: string, extension: string) => {
    if (!EXTENSION.test(extension))
      throw new InvalidKeyError(`file extension "${printable(extension)}" is invalid`);
    return `uploads/${part(uploadId, 'upload id')}.${extension}`;
  },
} as const;
