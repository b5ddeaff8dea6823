// The CLI's access to the API: the generated typed client (@faceshot/client), with problem+json
// errors and unreachable servers turned into readable messages.
import {
  ApiProblemError,
  createFaceshotClient,
  type Dataset,
  dataOf,
  type FaceshotClient,
  multipartBody,
  type UploadFileResult,
} from '@faceshot/client/faceshot-client';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const KEY_HINT = ' (give the key with FACESHOT_API_KEY or --api-key; `npm start` writes one to data/api-key)';

export class ApiClient {
  /** Every operation of the API, typed from its OpenAPI document. */
  readonly api: FaceshotClient;

  /** `apiKey`: sent as a bearer token on every request; undefined for an open API. */
  constructor(
    private readonly baseUrl: string,
    apiKey?: string,
  ) {
    this.api = createFaceshotClient({ baseUrl, apiKey, fetch: (request) => this.send(request) });
  }

  private async send(request: Request): Promise<Response> {
    try {
      return await fetch(request);
    } catch (error) {
      const cause =
        error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      throw new ApiError(0, `cannot reach the API at ${this.baseUrl} (${cause}); is it running (npm start)?`);
    }
  }

  /**
   * The data of a typed call (`client.api.GET(…)`), or ApiError with the status and the problem's
   * detail; `what` names the step for the message.
   */
  async call<Data>(
    what: string,
    request: Promise<{ data?: Data; error?: unknown; response: Response }>,
  ): Promise<Data> {
    try {
      return dataOf(await request, what);
    } catch (error) {
      if (error instanceof ApiProblemError) {
        throw new ApiError(error.status, `${error.message}${error.status === 401 ? KEY_HINT : ''}`);
      }
      if (error instanceof ApiError) throw new ApiError(error.status, `${what}: ${error.message}`);
      throw error;
    }
  }

  /** The dataset with this name, created if there is none. */
  async datasetNamed(name: string): Promise<Dataset & { created: boolean }> {
    const found = await this.call(
      'looking up the dataset',
      this.api.GET('/v1/datasets', { params: { query: { name } } }),
    );
    const existing = found.datasets[0];
    if (existing !== undefined) return { ...existing, created: false };
    const created = await this.call(
      'creating the dataset',
      this.api.POST('/v1/datasets', { body: { name } }),
    );
    return { ...created, created: true };
  }

  /** Uploads photos; each File's name is "<identity>/<file>". One result per file, in order. */
  async uploadImages(datasetId: string, files: File[]): Promise<UploadFileResult[]> {
    const answer = await this.call(
      'uploading photos',
      this.api.POST('/v1/datasets/{id}/images', {
        params: { path: { id: datasetId } },
        body: { file: files },
        bodySerializer: multipartBody,
      }),
    );
    return answer.files;
  }
}
