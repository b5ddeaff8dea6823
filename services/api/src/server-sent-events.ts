// Live progress as Server-Sent Events: the state is read every `intervalMs` and sent as an event
// whenever it changed; a final `end` event carries the terminal state, then the stream closes. Reading
// state (instead of relaying queue events) works with any number of API and worker processes and
// survives a Redis restart: the next read simply sees the current state.
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The 200 answer of a route that streams events, for its OpenAPI schema. */
export const EventStreamResponse = {
  description: 'An event stream',
  content: { 'text/event-stream': { schema: Type.String() } },
};

export interface Snapshot {
  data: unknown;
  /** True once nothing will change any more (the stream then ends). */
  done: boolean;
}

export interface StreamOptions {
  intervalMs: number;
  /** A comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs?: number;
  /** The longest a stream stays open; clients reconnect (EventSource does so by itself). */
  maxDurationMs?: number;
  read(): Promise<Snapshot>;
}

export async function streamEvents(
  request: FastifyRequest,
  reply: FastifyReply,
  options: StreamOptions,
): Promise<void> {
  const first = await options.read();
  reply.hijack();
  const raw = reply.raw;
  // Headers set by hooks (CORS, rate limit) live on the reply; a hijacked reply must send them itself.
  raw.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  let open = true;
  request.raw.on('close', () => {
    open = false;
  });
  let sequence = 0;
  let previous = '';
  let lastWrite = Date.now();
  const started = Date.now();
  const send = (event: string, json: string) => {
    sequence += 1;
    raw.write(`event: ${event}\nid: ${sequence}\ndata: ${json}\n\n`);
    lastWrite = Date.now();
  };
  let snapshot = first;
  try {
    for (;;) {
      const json = JSON.stringify(snapshot.data);
      if (json !== previous) {
        send('progress', json);
        previous = json;
      }
      if (snapshot.done) {
        send('end', json);
        break;
      }
      if (Date.now() - started > (options.maxDurationMs ?? 6 * 3600_000)) break;
      if (Date.now() - lastWrite > (options.heartbeatMs ?? 15_000)) {
        raw.write(': keep-alive\n\n');
        lastWrite = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
      if (!open) return;
      snapshot = await options.read();
    }
  } catch (error) {
    if (open)
      raw.write(
        `event: error\ndata: ${JSON.stringify({ detail: error instanceof Error ? error.message : String(error) })}\n\n`,
      );
  } finally {
    if (open) raw.end();
  }
}
