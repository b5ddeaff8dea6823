// HTTP over a bare socket, for requests fetch cannot send: truncated or stalled bodies, both
// Content-Length and Transfer-Encoding, a client that disconnects mid-upload.
import net from 'node:net';

export interface RawAnswer {
  /** 0 when the server closed (or the wait ended) without an answer. */
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A chunk to send, or a pause before the next one. */
export type RawStep = string | Buffer | { pauseMs: number };

function parse(data: Buffer): RawAnswer | undefined {
  const text = data.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [statusLine = '', ...headerLines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = data.subarray(end + 4);
  const length = Number(headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(length) && body.length < length) return undefined;
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body: body.toString('utf8') };
}

/**
 * Sends `steps` and waits up to `waitMs` for an answer. `disconnect`: the client destroys the socket
 * after the last step (an aborted upload) and reports status 0.
 */
export async function rawExchange(
  port: number,
  steps: RawStep[],
  options: { waitMs: number; disconnect?: boolean },
): Promise<RawAnswer> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  let received = Buffer.alloc(0);
  let closed = false;
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
  });
  socket.on('close', () => {
    closed = true;
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  for (const step of steps) {
    if (closed) break;
    if (typeof step === 'object' && !Buffer.isBuffer(step)) {
      await new Promise((resolve) => setTimeout(resolve, step.pauseMs));
    } else {
      socket.write(step);
    }
  }
  if (options.disconnect === true) {
    socket.destroy();
    return { status: 0, headers: {}, body: '' };
  }
  const deadline = Date.now() + options.waitMs;
  let answer = parse(received);
  while (answer === undefined && !closed && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    answer = parse(received);
  }
  socket.destroy();
  return answer ?? { status: 0, headers: {}, body: received.toString('utf8') };
}

export interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  content: string | Buffer;
}

/** A multipart/form-data body; `close: false` leaves out the closing boundary (a truncated upload). */
export function multipartBody(boundary: string, parts: Part[], close = true): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const filename = part.filename === undefined ? '' : `; filename="${part.filename}"`;
    const type = part.contentType === undefined ? '' : `\r\nContent-Type: ${part.contentType}`;
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"${filename}${type}\r\n\r\n`,
      ),
      Buffer.isBuffer(part.content) ? part.content : Buffer.from(part.content),
      Buffer.from('\r\n'),
    );
  }
  if (close) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

export function requestHead(method: string, path: string, headers: Record<string, string | number>): string {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  return `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${lines.join('\r\n')}${lines.length ? '\r\n' : ''}\r\n`;
}
