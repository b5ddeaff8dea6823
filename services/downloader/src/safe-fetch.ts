// HTTP(S) GET for URLs that users give us: the SSRF guard on every hop, a connect timeout, one
// total timeout across redirects, a redirect limit with loop detection, and a size cap enforced
// while streaming. Failures say whether retrying may help (5xx, timeouts, resets) or not (4xx, ...).
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { FileTooLargeError, type SpooledFile, spoolToTempFile } from '@faceshot/core/datasets/ingest-image';
import { type AddressGuard, AddressRefusedError } from './address-guard.js';

export interface SafeFetchOptions {
  guard: AddressGuard;
  connectTimeoutMs: number;
  totalTimeoutMs: number;
  maxRedirects: number;
  maxBytes: number;
  userAgent: string;
  tempDir: string;
}

/** Why a download failed; `transient` says whether a later attempt may succeed. */
export class DownloadError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

function describeNetworkError(error: unknown, url: URL): DownloadError {
  if (error instanceof AddressRefusedError) return new DownloadError(error.message, false);
  if (error instanceof DownloadError) return error;
  const code = error instanceof Error && 'code' in error ? String(error.code) : '';
  if (code === 'ENOTFOUND') return new DownloadError(`host ${url.hostname} not found`, false);
  const message = error instanceof Error ? error.message : String(error);
  return new DownloadError(`${url.host}: ${message}`, TRANSIENT_CODES.has(code) || code === '');
}

export class SafeFetcher {
  constructor(private readonly options: SafeFetchOptions) {}

  /** One request, no redirects followed. Resolves with the response once headers arrive. */
  private requestOnce(url: URL, signal: AbortSignal): Promise<IncomingMessage> {
    const { guard, connectTimeoutMs, userAgent } = this.options;
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return Promise.reject(
        new DownloadError(`only http and https URLs are fetched (got ${url.protocol})`, false),
      );
    }
    if (url.username !== '' || url.password !== '') {
      return Promise.reject(new DownloadError('URLs with credentials are not fetched', false));
    }
    // IP literals never go through `lookup`, so they are checked here.
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (net.isIP(literal) !== 0) {
      const refused = guard.check(literal);
      if (refused) return Promise.reject(new DownloadError(refused.message, false));
    }
    const client = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const request = client.get(url, {
        lookup: guard.lookup,
        signal,
        headers: { 'user-agent': userAgent, accept: 'image/*, application/json;q=0.9, */*;q=0.1' },
      });
      const connectTimer = setTimeout(() => {
        request.destroy(new DownloadError(`${url.host}: no connection within ${connectTimeoutMs} ms`, true));
      }, connectTimeoutMs);
      request.once('socket', (socket) => {
        if (!socket.connecting) clearTimeout(connectTimer);
        else socket.once('connect', () => clearTimeout(connectTimer));
      });
      request.once('response', (response) => {
        clearTimeout(connectTimer);
        resolve(response);
      });
      request.once('error', (error) => {
        clearTimeout(connectTimer);
        reject(error);
      });
    });
  }

  /** Follows redirects (each hop guarded) and returns the final 2xx response. */
  private async get(rawUrl: string, signal: AbortSignal): Promise<{ response: IncomingMessage; url: URL }> {
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      throw new DownloadError(`"${rawUrl}" is not a URL`, false);
    }
    const visited = new Set<string>();
    for (let hop = 0; ; hop++) {
      visited.add(url.href);
      let response: IncomingMessage;
      try {
        response = await this.requestOnce(url, signal);
      } catch (error) {
        if (signal.aborted) {
          throw new DownloadError(
            `no complete answer within ${this.options.totalTimeoutMs} ms (DOWNLOAD_TIMEOUT_MS)`,
            true,
          );
        }
        throw describeNetworkError(error, url);
      }
      const status = response.statusCode ?? 0;
      if (status >= 300 && status < 400 && response.headers.location !== undefined) {
        response.resume();
        if (hop >= this.options.maxRedirects) {
          throw new DownloadError(
            `more than ${this.options.maxRedirects} redirects (DOWNLOAD_MAX_REDIRECTS)`,
            false,
          );
        }
        const next = new URL(response.headers.location, url);
        if (visited.has(next.href)) throw new DownloadError(`redirect loop at ${next.href}`, false);
        url = next;
        continue;
      }
      if (status < 200 || status >= 300) {
        response.resume();
        const transient = status >= 500 || status === 429 || status === 408;
        throw new DownloadError(`HTTP ${status} ${response.statusMessage ?? ''}`.trim(), transient);
      }
      return { response, url };
    }
  }

  /** Downloads to a temp file (hashing as it goes), refusing bodies over `maxBytes`. */
  async fetchToTempFile(rawUrl: string): Promise<SpooledFile & { finalUrl: string; contentType: string }> {
    const signal = AbortSignal.timeout(this.options.totalTimeoutMs);
    const { response, url } = await this.get(rawUrl, signal);
    const contentType = String(response.headers['content-type'] ?? '');
    if (/^text\/html/i.test(contentType)) {
      response.resume();
      throw new DownloadError(`got an HTML page (${contentType}), not an image`, false);
    }
    const declared = Number(response.headers['content-length'] ?? Number.NaN);
    if (declared > this.options.maxBytes) {
      response.destroy();
      throw new DownloadError(
        `body is ${declared} bytes, over the limit of ${this.options.maxBytes} (IMAGE_MAX_BYTES)`,
        false,
      );
    }
    try {
      const spooled = await spoolToTempFile(response, this.options.tempDir, this.options.maxBytes);
      return { ...spooled, finalUrl: url.href, contentType };
    } catch (error) {
      response.destroy();
      if (error instanceof FileTooLargeError) {
        throw new DownloadError(
          `body is over the limit of ${this.options.maxBytes} bytes (IMAGE_MAX_BYTES)`,
          false,
        );
      }
      if (signal.aborted) {
        throw new DownloadError(
          `no complete answer within ${this.options.totalTimeoutMs} ms (DOWNLOAD_TIMEOUT_MS)`,
          true,
        );
      }
      throw describeNetworkError(error, url);
    }
  }

  /** A JSON document of at most `maxBytes` (search APIs). */
  async fetchJson(rawUrl: string, maxBytes = 4 * 1024 * 1024): Promise<unknown> {
    const signal = AbortSignal.timeout(this.options.totalTimeoutMs);
    const { response, url } = await this.get(rawUrl, signal);
    const chunks: Buffer[] = [];
    let bytes = 0;
    try {
      for await (const chunk of response) {
        bytes += (chunk as Buffer).length;
        if (bytes > maxBytes)
          throw new DownloadError(`${url.host} answered with over ${maxBytes} bytes of JSON`, false);
        chunks.push(chunk as Buffer);
      }
    } catch (error) {
      response.destroy();
      if (signal.aborted)
        throw new DownloadError(`${url.host} did not answer within ${this.options.totalTimeoutMs} ms`, true);
      throw describeNetworkError(error, url);
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new DownloadError(`${url.host} answered with something that is not JSON`, true);
    }
  }
}
