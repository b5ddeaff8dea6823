// What the end-to-end tests do over HTTP with a real API key (datasets, uploads, pipelines, jobs,
// identify), plus the environment of a stack of role processes and checks of what landed in storage.
import { openAsBlob } from 'node:fs';
import path from 'node:path';
import {
  createFaceshotClient,
  dataOf,
  type FaceshotClient,
  type IdentifiedFace,
  type JobStatus,
  multipartBody,
  type PipelineRequest,
  type PipelineStatus,
  type StageStatus,
} from '@faceshot/client/faceshot-client';
import type { S3StorageConfig } from '@faceshot/core/config';
import type { ObjectStore } from '@faceshot/core/storage/object-store';
import { identitiesOf, photosOf } from './datasets.js';

export interface Photo {
  identity: string;
  /** Absolute path of the photo file. */
  file: string;
}

/** A photo as the API stored it. */
export interface StoredPhoto extends Photo {
  sha256: string;
  key: string;
}

// The API's answers are typed by the generated client (packages/client), from the OpenAPI document.
export type { IdentifiedFace, JobStatus, PipelineStatus, StageStatus };

export interface ApiAnswer {
  status: number;
  text: string;
  body: Record<string, unknown>;
}

/** `count` people of a photo set with at least `perPerson + heldBack` photos each, from `offset` on. */
export function samplePeople(
  dataset: string,
  options: { count: number; perPerson: number; heldBack?: number; offset?: number },
): { people: string[]; upload: Photo[]; heldBack: Photo[] } {
  const held = options.heldBack ?? 0;
  const people = identitiesOf(dataset)
    .filter((identity) => photosOf(dataset, identity).length >= options.perPerson + held)
    .slice(options.offset ?? 0, (options.offset ?? 0) + options.count);
  if (people.length < options.count)
    throw new Error(`${dataset} has only ${people.length} people with enough photos`);
  const upload: Photo[] = [];
  const heldBack: Photo[] = [];
  for (const identity of people) {
    const files = photosOf(dataset, identity);
    upload.push(...files.slice(0, options.perPerson).map((file) => ({ identity, file })));
    heldBack.push(
      ...files.slice(options.perPerson, options.perPerson + held).map((file) => ({ identity, file })),
    );
  }
  return { people, upload, heldBack };
}

/** The S3 settings of a role process, as environment variables. */
export function s3Environment(config: S3StorageConfig): Record<string, string> {
  return {
    STORAGE: 's3',
    S3_ENDPOINT: `${config.useSSL ? 'https' : 'http'}://${config.endPoint}:${config.port}`,
    S3_ACCESS_KEY: config.accessKey,
    S3_SECRET_KEY: config.secretKey,
    S3_BUCKET: config.bucket,
    S3_REGION: config.region,
  };
}

/** A one-line summary of a pipeline's stages, for assertion messages and logs. */
export function describePipeline(status: PipelineStatus): string {
  const stages = status.stages
    .map(
      (stage) =>
        `${stage.name}:${stage.state}(${stage.jobs.completed}/${stage.jobs.total}` +
        `${stage.jobs.failed > 0 ? ` failed ${stage.jobs.failed}` : ''})` +
        `${stage.failedReason === undefined ? '' : ` "${stage.failedReason}"`}`,
    )
    .join(' ');
  return `${status.state}${status.failedReason === undefined ? '' : ` "${status.failedReason}"`} ${stages}`;
}

export class E2eClient {
  /** The generated client, with the bearer key. */
  readonly api: FaceshotClient;

  constructor(
    readonly baseUrl: string,
    readonly key: string,
  ) {
    this.api = createFaceshotClient({ baseUrl, apiKey: key });
  }

  /** Any request (for answers a test checks by status), with the bearer key; JSON bodies parsed. */
  async request(
    method: string,
    route: string,
    body?: { json?: unknown; form?: FormData },
    timeoutMs = 120_000,
  ): Promise<ApiAnswer> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.key}` };
    let payload: string | FormData | undefined;
    if (body?.json !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body?.form !== undefined) {
      payload = body.form;
    }
    const response = await fetch(`${this.baseUrl}${route}`, {
      method,
      headers,
      ...(payload === undefined ? {} : { body: payload }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    const parsed: unknown = /json/.test(response.headers.get('content-type') ?? '') ? JSON.parse(text) : {};
    return { status: response.status, text, body: parsed as Record<string, unknown> };
  }

  /** A request that must answer `expected`; throws with the answer otherwise. */
  async expect(
    expected: number,
    method: string,
    route: string,
    body?: { json?: unknown; form?: FormData },
  ): Promise<Record<string, unknown>> {
    const answer = await this.request(method, route, body);
    if (answer.status !== expected)
      throw new Error(`${method} ${route}: expected ${expected}, got ${answer.status}: ${answer.text}`);
    return answer.body;
  }

  async createDataset(name: string): Promise<string> {
    return dataOf(await this.api.POST('/v1/datasets', { body: { name } }), `creating ${name}`).id;
  }

  /** Multipart uploads, `batch` files per request, each part named "<identity>/<file>"; all must be stored. */
  async upload(datasetId: string, photos: readonly Photo[], batch = 10): Promise<StoredPhoto[]> {
    const stored: StoredPhoto[] = [];
    for (let start = 0; start < photos.length; start += batch) {
      const slice = photos.slice(start, start + batch);
      const files: File[] = [];
      for (const photo of slice)
        files.push(
          new File([await openAsBlob(photo.file)], `${photo.identity}/${path.basename(photo.file)}`),
        );
      const answer = dataOf(
        await this.api.POST('/v1/datasets/{id}/images', {
          params: { path: { id: datasetId } },
          body: { file: files },
          bodySerializer: multipartBody,
        }),
        `uploading to ${datasetId}`,
      );
      for (const [index, file] of answer.files.entries()) {
        const photo = slice[index] as Photo;
        if (file.outcome !== 'stored' || file.sha256 === undefined || file.key === undefined)
          throw new Error(`${photo.file} was not stored: ${JSON.stringify(file)}`);
        stored.push({ ...photo, sha256: file.sha256, key: file.key });
      }
    }
    return stored;
  }

  async startPipeline(
    datasetId: string,
    options: NonNullable<PipelineRequest['options']>,
  ): Promise<PipelineStatus> {
    return dataOf(
      await this.api.POST('/v1/pipelines', { body: { datasetId, options } }),
      'starting a pipeline',
    );
  }

  async pipeline(id: string): Promise<PipelineStatus> {
    return dataOf(await this.api.GET('/v1/pipelines/{id}', { params: { path: { id } } }), `pipeline ${id}`);
  }

  /**
   * Polls a pipeline until it is no longer running. Connection errors, 5xx and 429 answers (the API or
   * its Redis restarting) are counted and tolerated; `onStatus` sees every status read.
   */
  async waitForPipeline(
    id: string,
    options: { timeoutMs: number; intervalMs?: number; onStatus?: (status: PipelineStatus) => void },
  ): Promise<{ status: PipelineStatus; unavailable: number; lastError?: string }> {
    const deadline = Date.now() + options.timeoutMs;
    let unavailable = 0;
    let lastError: string | undefined;
    let last: PipelineStatus | undefined;
    while (Date.now() < deadline) {
      try {
        const answer = await this.api.GET('/v1/pipelines/{id}', {
          params: { path: { id } },
          signal: AbortSignal.timeout(15_000),
        });
        const status = answer.response.status;
        if (answer.data !== undefined) {
          last = answer.data;
          options.onStatus?.(last);
          if (last.state !== 'running')
            return { status: last, unavailable, ...(lastError ? { lastError } : {}) };
        } else if (status >= 500 || status === 429) {
          unavailable += 1;
          lastError = `${status} ${JSON.stringify(answer.error).slice(0, 300)}`;
        } else {
          throw new Error(`GET /v1/pipelines/${id}: ${status} ${JSON.stringify(answer.error)}`);
        }
      } catch (error) {
        if (error instanceof Error && error.message.startsWith('GET /v1/pipelines')) throw error;
        unavailable += 1;
        lastError = error instanceof Error ? `${error.message} ${String(error.cause ?? '')}` : String(error);
      }
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 1_000));
    }
    throw new Error(
      `pipeline ${id} still running after ${options.timeoutMs} ms: ${last ? describePipeline(last) : 'never read'}` +
        (lastError === undefined ? '' : ` (last error: ${lastError})`),
    );
  }

  /** A job's status, or undefined when the API does not know it (404). */
  async job(queue: string, id: string): Promise<JobStatus | undefined> {
    const answer = await this.api.GET('/v1/jobs/{queue}/{id}', { params: { path: { queue, id } } });
    if (answer.response.status === 404) return undefined;
    return dataOf(answer, `GET /v1/jobs/${queue}/${id}`);
  }

  /** The extract jobs a pipeline's curate job added (ids follow from the curate job's id). */
  async extractJobs(pipeline: PipelineStatus, count: number): Promise<JobStatus[]> {
    const curate = pipeline.stages.find((stage) => stage.name === 'curate')?.jobIds[0] ?? '';
    const jobs: JobStatus[] = [];
    for (let index = 0; index < count; index++) {
      const job = await this.job('extract', `${curate}-extract-${index}`);
      if (job !== undefined) jobs.push(job);
    }
    return jobs;
  }

  /** The primary face of a photo against a model's gallery, best `topK` matches. */
  async identify(modelId: string, file: string, topK = 3): Promise<IdentifiedFace | undefined> {
    const answer = await this.api.POST('/v1/models/{id}/identify', {
      params: { path: { id: modelId }, query: { topK, faces: 'primary' } },
      body: { photo: new File([await openAsBlob(file)], path.basename(file)) },
      bodySerializer: multipartBody,
    });
    return dataOf(answer, `identifying ${file} with ${modelId}`).faces[0];
  }
}

export async function listKeys(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of store.list(prefix)) keys.push(object.key);
  return keys.sort();
}

export interface ExtractionOutputs {
  /** Photos whose record says a face was found. */
  withFace: number;
  /** Photos whose record says otherwise (no-face, rejected). */
  withoutFace: number;
  /** Each thing that is wrong: a missing, duplicated or unexpected object. Empty when all is well. */
  problems: string[];
}

/**
 * Checks datasets/<id>/{raw,records,faces,gray}: exactly one raw photo and one record per stored photo,
 * and one colour and one grey face for each record that found a face, nothing else.
 */
export async function checkExtractionOutputs(
  store: ObjectStore,
  datasetId: string,
  photos: readonly StoredPhoto[],
): Promise<ExtractionOutputs> {
  const prefix = `datasets/${datasetId}/`;
  const problems: string[] = [];
  const listed = {
    raw: await listKeys(store, `${prefix}raw/`),
    records: await listKeys(store, `${prefix}records/`),
    faces: await listKeys(store, `${prefix}faces/`),
    gray: await listKeys(store, `${prefix}gray/`),
  };
  const expected = {
    raw: photos.map((photo) => photo.key),
    records: photos.map((photo) => `${prefix}records/${photo.identity}/${photo.sha256}.json`),
    faces: [] as string[],
    gray: [] as string[],
  };
  let withFace = 0;
  for (const [index, photo] of photos.entries()) {
    const key = expected.records[index] as string;
    if (!listed.records.includes(key)) continue;
    const record = JSON.parse((await store.get(key)).toString('utf8')) as { outcome: string };
    if (record.outcome === 'face') {
      withFace += 1;
      expected.faces.push(`${prefix}faces/${photo.identity}/${photo.sha256}.png`);
      expected.gray.push(`${prefix}gray/${photo.identity}/${photo.sha256}.png`);
    }
  }
  for (const kind of ['raw', 'records', 'faces', 'gray'] as const) {
    const want = new Set(expected[kind]);
    const seen = new Map<string, number>();
    for (const key of listed[kind]) seen.set(key, (seen.get(key) ?? 0) + 1);
    for (const key of want) if (!seen.has(key)) problems.push(`missing ${key}`);
    for (const [key, times] of seen) {
      if (!want.has(key)) problems.push(`unexpected ${key}`);
      else if (times > 1) problems.push(`${key} listed ${times} times`);
    }
  }
  const records = listed.records.filter((key) => expected.records.includes(key)).length;
  return { withFace, withoutFace: records - withFace, problems };
}
