// Reading a multipart upload so that it always ends: a client that stops sending (no bytes for
// API_BODY_IDLE_TIMEOUT_MS) gets 408, a body that ends without its closing boundary gets 400, a client
// that disconnects ends the request at once; in each case the part being spooled is destroyed, so its
// temp file is removed and its descriptor closed. The idle clock runs only while the request waits
// for the client's bytes, never while the server checks or stores what arrived.
import { type Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type SpooledFile, spoolToTempFile } from '@faceshot/core/datasets/ingest-image';
import type { Multipart } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { HttpProblem } from './problem.js';

/** The client went away mid-upload; the error handler logs it at info level and answers nothing. */
export class ClientGoneError extends Error {
  readonly code = 'ECONNABORTED';
  constructor() {
    super('the client closed the connection during the upload');
    this.name = 'ClientGoneError';
  }
}

/** After the whole body has arrived, a part still waiting for bytes is never going to get them. */
const AFTER_END_GRACE_MS = 1_000;

export class UploadReader {
  private readonly controller = new AbortController();
  private readonly parts: AsyncIterator<Multipart>;
  private timer: NodeJS.Timeout | undefined;
  private armed = false;

  constructor(
    private readonly request: FastifyRequest,
    private readonly idleMs: number,
  ) {
    // parts() starts piping the body into the parser; only then may we listen to its data events.
    this.parts = request.parts()[Symbol.asyncIterator]();
    const raw = request.raw;
    raw.on('data', this.touch);
    raw.on('end', this.touch);
    raw.on('close', this.onClose);
  }

  /** Aborts when the upload stalls, is truncated or the client leaves; its reason is the error to throw. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Call for every chunk of a part as it is read. */
  readonly touch = (): void => {
    if (this.armed) this.arm();
  };

  private readonly onClose = (): void => {
    if (!this.request.raw.complete) this.fail(new ClientGoneError());
  };

  private fail(reason: Error): void {
    clearTimeout(this.timer);
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  private arm(): void {
    clearTimeout(this.timer);
    const complete = this.request.raw.complete;
    this.timer = setTimeout(
      () =>
        this.fail(
          complete
            ? new HttpProblem(400, 'the multipart body ended before its closing boundary (truncated upload)')
            : new HttpProblem(
                408,
                `the upload sent nothing for ${this.idleMs} ms (API_BODY_IDLE_TIMEOUT_MS); send the body without pauses`,
              ),
        ),
      complete ? Math.min(this.idleMs, AFTER_END_GRACE_MS) : this.idleMs,
    );
  }

  /**
   * Waits for input from the client under the idle clock; rejects with the abort reason. `read` must
   * stop when the signal aborts (pipelines given the signal do, and clean up before they reject).
   */
  async input<T>(read: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const signal = this.controller.signal;
    if (signal.aborted) throw signal.reason;
    this.armed = true;
    this.arm();
    try {
      return await read(signal);
    } catch (error) {
      // A stream destroyed by the abort fails with its own AbortError; the reason says what happened.
      if (signal.aborted) throw signal.reason;
      throw error;
    } finally {
      this.armed = false;
      clearTimeout(this.timer);
    }
  }

  /** The next part, or undefined at the end of the form. Parser errors become 400s. */
  async next(): Promise<Multipart | undefined> {
    const result = await this.input(
      (signal) =>
        new Promise<IteratorResult<Multipart>>((resolve, reject) => {
          // The parser's iterator cannot be cancelled: on abort, stop waiting for it.
          const onAbort = () => reject(signal.reason);
          signal.addEventListener('abort', onAbort, { once: true });
          this.parts.next().then(
            (value) => {
              signal.removeEventListener('abort', onAbort);
              resolve(value);
            },
            (error: unknown) => {
              signal.removeEventListener('abort', onAbort);
              reject(parserProblem(error));
            },
          );
        }),
    );
    if (result.done === true) {
      // The parser also ends its parts when the connection drops.
      if (!this.request.raw.complete) throw new ClientGoneError();
      return undefined;
    }
    return result.value;
  }

  /** Reads and discards a part the route does not keep. */
  async skip(file: Readable): Promise<void> {
    await this.input((signal) =>
      pipeline(
        file,
        new Writable({
          write: (_chunk, _encoding, callback) => {
            this.touch();
            callback();
          },
        }),
        { signal },
      ),
    );
  }

  /** Spools a part to a temp file (see spoolToTempFile) under the idle clock. */
  spool(file: Readable, tempDir: string, maxBytes: number): Promise<SpooledFile> {
    return this.input((signal) => spoolToTempFile(file, tempDir, maxBytes, { signal, onChunk: this.touch }));
  }

  close(): void {
    clearTimeout(this.timer);
    const raw = this.request.raw;
    raw.off('data', this.touch);
    raw.off('end', this.touch);
    raw.off('close', this.onClose);
  }
}

/** Errors from the multipart parser: limits keep their status (413), a malformed body is a 400. */
function parserProblem(error: unknown): unknown {
  if (error instanceof HttpProblem) return error;
  if (!(error instanceof Error)) return error;
  const status = (error as Error & { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return error;
  return new HttpProblem(400, `malformed multipart body: ${error.message}`);
}
