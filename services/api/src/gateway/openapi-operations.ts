// What the route schemas cannot say about each operation, in one table: its operationId (the method
// name a generated client gets: keep them stable), its tag, the multipart form it reads (multipart
// routes parse their bodies themselves, so they have no `body` schema) and statuses that come from
// outside its own schema. openapi.ts applies the table to the generated document.
import type { Limits } from '@faceshot/core/config';
import { MAX_ENROL_PHOTOS } from '../routes/identities.js';

export const TAGS = [
  { name: 'health', description: 'Liveness and readiness probes' },
  { name: 'jobs', description: 'Any job: state, progress, result; live as Server-Sent Events' },
  { name: 'datasets', description: 'Datasets of people and their photos: create, upload, download, delete' },
  { name: 'faces', description: 'Face extraction and curation of a dataset' },
  { name: 'models', description: 'Training Siamese models, their status and cards' },
  {
    name: 'galleries',
    description: "The people a model can name (one-shot enrolment), each model's gallery",
  },
  { name: 'predictions', description: 'Identify the people in a photo; verify two photos show one person' },
  { name: 'pipelines', description: 'download → extract → curate → pairs → train → enrol as one flow' },
  { name: 'web', description: 'The web page and its files' },
  { name: 'operations', description: 'Metrics, this document and the queue dashboard' },
] as const;
export type Tag = (typeof TAGS)[number]['name'];

/** A JSON Schema object, as it appears in the document. */
export type JsonSchema = Record<string, unknown>;

export interface OperationDoc {
  operationId: string;
  tag: Tag;
  /** The multipart/form-data request body (schema and each part's media type). */
  multipart?: (limits: Limits) => { schema: JsonSchema; encoding: Record<string, { contentType: string }> };
  /** Error statuses the route answers that neither its schema nor the shared rules list. */
  statuses?: number[];
}

const IMAGE_TYPES =
  'image/jpeg, image/png, image/webp, image/gif, image/tiff, image/avif, image/heic, image/x-portable-anymap';

const MiB = 1024 * 1024;
const size = (bytes: number) =>
  bytes % MiB === 0 ? `${bytes / MiB} MiB` : bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;

function photoPart(limits: Limits, description: string): JsonSchema {
  return {
    type: 'string',
    format: 'binary',
    description:
      `${description} At most ${size(limits.imageMaxBytes)} (IMAGE_MAX_BYTES) and ` +
      `${(limits.imageMaxPixels / 1e6).toLocaleString('en')} megapixels (IMAGE_MAX_PIXELS), else 413; ` +
      'not a readable image: 415.',
  };
}

const identityField: JsonSchema = { type: 'string', minLength: 1, maxLength: 128 };

/**
 * One file part, or the same part name repeated (an array). Both forms are listed because multipart
 * tools differ: some read a repeated name as an array, others (Prism) keep one value per name.
 */
function fileParts(part: JsonSchema, maxItems: number): JsonSchema {
  return { anyOf: [part, { type: 'array', minItems: 1, maxItems, items: part }] };
}

const images = (limits: Limits) => ({
  schema: {
    type: 'object',
    description:
      'Photo file parts, each named "<identity>/<file>" (its filename), or preceded by an "identity" ' +
      `field that applies to the parts after it. At most ${limits.uploadMaxFiles} files per request ` +
      '(UPLOAD_MAX_FILES). Each file gets its own outcome in the answer: an oversized or unreadable ' +
      'photo is "rejected" with a reason, not an error of the request.',
    properties: {
      identity: { ...identityField, description: 'The person the following file parts show' },
      file: fileParts(photoPart(limits, 'A photo; any part name is accepted.'), limits.uploadMaxFiles),
    },
    required: ['file'],
  },
  encoding: { file: { contentType: IMAGE_TYPES } },
});

const identify = (limits: Limits) => ({
  schema: {
    type: 'object',
    properties: { photo: photoPart(limits, 'The photo (any part name is accepted).') },
    required: ['photo'],
  },
  encoding: { photo: { contentType: IMAGE_TYPES } },
});

const verify = (limits: Limits) => ({
  schema: {
    type: 'object',
    description: 'Exactly two photo file parts (any part names; a and b by convention).',
    properties: {
      a: photoPart(limits, 'The first photo.'),
      b: photoPart(limits, 'The second photo.'),
    },
    required: ['a', 'b'],
  },
  encoding: { a: { contentType: IMAGE_TYPES }, b: { contentType: IMAGE_TYPES } },
});

const enrol = (limits: Limits) => ({
  schema: {
    type: 'object',
    properties: {
      identity: { ...identityField, description: 'The person to enrol (or to add reference photos to)' },
      photo: fileParts(
        photoPart(limits, 'A photo of the person (any part name is accepted).'),
        MAX_ENROL_PHOTOS,
      ),
    },
    required: ['identity', 'photo'],
  },
  encoding: { photo: { contentType: IMAGE_TYPES } },
});

/** Keyed by `METHOD /path/{param}` as in the document. */
export const OPERATIONS: Record<string, OperationDoc> = {
  'GET /healthz': { operationId: 'getHealth', tag: 'health' },
  'GET /readyz': { operationId: 'getReadiness', tag: 'health' },
  // Public by default; METRICS_PUBLIC=false puts it behind a key (then 401 and 403 apply).
  'GET /metrics': { operationId: 'getMetrics', tag: 'operations', statuses: [401, 403] },
  'GET /': { operationId: 'getWebPage', tag: 'web' },
  'GET /ui/{file}': { operationId: 'getWebPageFile', tag: 'web' },

  'GET /v1/jobs/{queue}/{id}': { operationId: 'getJob', tag: 'jobs' },
  'GET /v1/jobs/{queue}/{id}/events': { operationId: 'streamJobEvents', tag: 'jobs' },

  'POST /v1/datasets': { operationId: 'createDataset', tag: 'datasets' },
  'GET /v1/datasets': { operationId: 'listDatasets', tag: 'datasets' },
  'GET /v1/datasets/{id}': { operationId: 'getDataset', tag: 'datasets' },
  'DELETE /v1/datasets/{id}': { operationId: 'deleteDataset', tag: 'datasets' },
  'DELETE /v1/datasets/{id}/identities/{identity}': {
    operationId: 'deleteDatasetIdentity',
    tag: 'datasets',
  },
  'POST /v1/datasets/{id}/images': { operationId: 'uploadDatasetImages', tag: 'datasets', multipart: images },
  'POST /v1/datasets/{id}/downloads': { operationId: 'downloadDatasetImages', tag: 'datasets' },

  'POST /v1/datasets/{id}/extract': { operationId: 'extractFaces', tag: 'faces' },
  'POST /v1/datasets/{id}/curate': { operationId: 'curateFaces', tag: 'faces' },
  'GET /v1/datasets/{id}/faces': { operationId: 'listFaces', tag: 'faces' },
  'GET /v1/datasets/{id}/faces/{faceId}/image': { operationId: 'getFaceImage', tag: 'faces' },
  'PATCH /v1/datasets/{id}/faces/{faceId}': { operationId: 'updateFace', tag: 'faces' },

  'POST /v1/models': { operationId: 'trainModel', tag: 'models' },
  'GET /v1/models': { operationId: 'listModels', tag: 'models' },
  'GET /v1/models/{id}': { operationId: 'getModel', tag: 'models' },
  'DELETE /v1/models/{id}': { operationId: 'deleteModel', tag: 'models' },

  'POST /v1/models/{id}/identities': {
    operationId: 'enrolIdentity',
    tag: 'galleries',
    multipart: enrol,
  },
  'POST /v1/models/{id}/identities/from-dataset': {
    operationId: 'enrolDataset',
    tag: 'galleries',
  },
  'GET /v1/models/{id}/identities': { operationId: 'listIdentities', tag: 'galleries' },
  'GET /v1/models/{id}/identities/{identity}': { operationId: 'getIdentity', tag: 'galleries' },
  'GET /v1/models/{id}/identities/{identity}/photos/{index}': {
    operationId: 'getIdentityPhoto',
    tag: 'galleries',
  },
  'PATCH /v1/models/{id}/identities/{identity}': { operationId: 'renameIdentity', tag: 'galleries' },
  'DELETE /v1/models/{id}/identities/{identity}': { operationId: 'deleteIdentity', tag: 'galleries' },

  'POST /v1/models/{id}/identify': { operationId: 'identifyFaces', tag: 'predictions', multipart: identify },
  'POST /v1/models/{id}/verify': { operationId: 'verifyFaces', tag: 'predictions', multipart: verify },

  'POST /v1/pipelines': { operationId: 'startPipeline', tag: 'pipelines' },
  'GET /v1/pipelines': { operationId: 'listPipelines', tag: 'pipelines' },
  'GET /v1/pipelines/{id}': { operationId: 'getPipeline', tag: 'pipelines' },
  'GET /v1/pipelines/{id}/events': { operationId: 'streamPipelineEvents', tag: 'pipelines' },
  'DELETE /v1/pipelines/{id}': { operationId: 'cancelPipeline', tag: 'pipelines' },
};
