// The faceshot API's typed client: openapi-fetch over the types openapi-typescript generates from
// openapi.json (src/generated/, rebuilt on every `npm run build`). Every path, parameter, body and
// answer is typed from the document; nothing here restates a shape by hand.
import createClient, { type Client } from 'openapi-fetch';
import type { components, operations, paths } from './generated/openapi-types.js';

export type { components, operations, paths };
export type FaceshotClient = Client<paths>;

export interface FaceshotClientOptions {
  /** The API's address, e.g. http://127.0.0.1:3000 */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`; leave out for an open API (API_AUTH=open). */
  apiKey?: string | undefined;
  /** Another fetch (a test's counting or validating one). */
  fetch?: (request: Request) => Promise<Response>;
}

export function createFaceshotClient(options: FaceshotClientOptions): FaceshotClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  const apiKey = options.apiKey;
  if (apiKey !== undefined) {
    client.use({
      onRequest({ request }) {
        request.headers.set('authorization', `Bearer ${apiKey}`);
        return request;
      },
    });
  }
  return client;
}

/** The JSON an operation answers with `status` (by default its first success status). */
export type AnswerOf<
  Id extends keyof operations,
  Status extends keyof operations[Id]['responses'] = SuccessStatusOf<Id>,
> = operations[Id]['responses'][Status] extends { content: { 'application/json': infer Body } }
  ? Body
  : never;
type SuccessStatusOf<Id extends keyof operations> = Extract<
  keyof operations[Id]['responses'],
  200 | 201 | 202
>;

/** The JSON body an operation takes. */
export type RequestBodyOf<Id extends keyof operations> = operations[Id] extends {
  requestBody?: { content: { 'application/json': infer Body } };
}
  ? Body
  : never;

export type Problem = components['schemas']['Problem'];
export type Dataset = AnswerOf<'createDataset'>;
export type DatasetDetail = AnswerOf<'getDataset'>;
export type UploadAnswer = AnswerOf<'uploadDatasetImages'>;
export type UploadFileResult = UploadAnswer['files'][number];
export type JobStatus = AnswerOf<'getJob'>;
export type PipelineStatus = AnswerOf<'getPipeline'>;
export type StageStatus = PipelineStatus['stages'][number];
export type PipelineRequest = RequestBodyOf<'startPipeline'>;
export type ModelDetail = AnswerOf<'getModel'>;
export type IdentifyAnswer = AnswerOf<'identifyFaces'>;
export type IdentifiedFace = IdentifyAnswer['faces'][number];
export type VerifyAnswer = AnswerOf<'verifyFaces'>;
export type EnrolAnswer = AnswerOf<'enrolIdentity'>;

/**
 * openapi-fetch's body serializer for the multipart operations: each property becomes a form part,
 * in the object's order (an `identity` field before the file parts it names), arrays one part per item.
 */
export function multipartBody(body: unknown): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === undefined || item === null) continue;
      if (item instanceof Blob) form.append(name, item);
      else form.append(name, String(item));
    }
  }
  return form;
}

/** An answer that was not a success, with the problem's detail when the API sent one. */
export class ApiProblemError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Partial<Problem> | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ApiProblemError';
  }
}

/** The data of a successful openapi-fetch result; otherwise ApiProblemError naming `what` failed. */
export function dataOf<Data>(
  result: { data?: Data; error?: unknown; response: Response },
  what: string,
): Data {
  if (result.response.ok && result.data !== undefined) return result.data;
  const error = result.error;
  const problem = typeof error === 'object' && error !== null ? (error as Partial<Problem>) : undefined;
  const detail =
    problem?.detail ?? (typeof error === 'string' ? error.slice(0, 200) : result.response.statusText);
  throw new ApiProblemError(
    result.response.status,
    problem,
    `${what}: HTTP ${result.response.status}: ${detail}`,
  );
}
