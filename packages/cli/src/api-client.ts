// The few HTTP calls the CLI makes, with problem+json errors turned into readable messages.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface DatasetRef {
  id: string;
  name: string;
}

export interface UploadFileResult {
  filename: string;
  identity?: string;
  outcome: 'stored' | 'duplicate' | 'rejected';
  duplicateOf?: string;
  reason?: string;
}

async function parse<T>(response: Response, what: string): Promise<T> {
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const detail =
      typeof body === 'object' && body !== null && 'detail' in body
        ? String(body.detail)
        : text.slice(0, 200);
    const hint =
      response.status === 401
        ? ' (give the key with FACESHOT_API_KEY or --api-key; `npm start` writes one to data/api-key)'
        : '';
    throw new ApiError(response.status, `${what}: HTTP ${response.status}: ${detail}${hint}`);
  }
  return body as T;
}

export class ApiClient {
  /** `apiKey`: sent as a bearer token on every request; undefined for an open API. */
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey?: string,
  ) {}

  private url(path: string): string {
    return new URL(path, this.baseUrl).href;
  }

  private async request(path: string, init: RequestInit, what: string): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.apiKey !== undefined) headers.set('authorization', `Bearer ${this.apiKey}`);
    try {
      return await fetch(this.url(path), { ...init, headers });
    } catch (error) {
      const cause =
        error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      throw new ApiError(
        0,
        `${what}: cannot reach the API at ${this.baseUrl} (${cause}); is it running (npm start)?`,
      );
    }
  }

  /** The dataset with this name, created if there is none. */
  async datasetNamed(name: string): Promise<DatasetRef & { created: boolean }> {
    const found = await parse<{ datasets: DatasetRef[] }>(
      await this.request(`/v1/datasets?name=${encodeURIComponent(name)}`, {}, 'looking up the dataset'),
      'looking up the dataset',
    );
    const existing = found.datasets[0];
    if (existing !== undefined) return { ...existing, created: false };
    const created = await parse<DatasetRef>(
      await this.request(
        '/v1/datasets',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) },
        'creating the dataset',
      ),
      'creating the dataset',
    );
    return { ...created, created: true };
  }

  /** Any route: the parsed JSON answer, or ApiError with the problem's detail. */
  async json<T>(path: string, init: RequestInit, what: string): Promise<T> {
    return parse<T>(await this.request(path, init, what), what);
  }

  /** The raw response of a streaming route (Server-Sent Events), after checking its status. */
  async stream(path: string, what: string, signal?: AbortSignal): Promise<Response> {
    const response = await this.request(path, signal === undefined ? {} : { signal }, what);
    if (!response.ok) await parse<unknown>(response, what);
    return response;
  }

  async uploadImages(datasetId: string, form: FormData): Promise<UploadFileResult[]> {
    const response = await this.request(
      `/v1/datasets/${encodeURIComponent(datasetId)}/images`,
      { method: 'POST', body: form },
      'uploading photos',
    );
    return (await parse<{ files: UploadFileResult[] }>(response, 'uploading photos')).files;
  }
}
