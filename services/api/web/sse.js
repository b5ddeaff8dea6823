// Server-Sent Events over fetch(): EventSource cannot send an Authorization header, so the page reads
// the response body itself and parses the text/event-stream format (lines of `field: value`, events
// separated by a blank line; CRLF, LF or CR line ends; `:` comments).

/** @typedef {{ event: string, data: string, id: string }} ServerEvent */

export class SseParser {
  constructor() {
    this.buffer = '';
    /** @type {string[]} */
    this.data = [];
    this.event = '';
    this.lastId = '';
  }

  /**
   * Feeds a chunk of text; returns the events it completed.
   * @param {string} text
   * @returns {ServerEvent[]}
   */
  push(text) {
    this.buffer += text;
    /** @type {ServerEvent[]} */
    const events = [];
    const lineEnd = /\r\n|\r|\n/g;
    let start = 0;
    for (let match = lineEnd.exec(this.buffer); match !== null; match = lineEnd.exec(this.buffer)) {
      // A CR at the very end may be the first half of a CRLF split across chunks: wait for more.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) break;
      const event = this.#line(this.buffer.slice(start, match.index));
      if (event !== undefined) events.push(event);
      start = match.index + match[0].length;
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /** @param {string} line @returns {ServerEvent | undefined} */
  #line(line) {
    if (line === '') {
      if (this.data.length === 0) {
        this.event = '';
        return undefined;
      }
      const event = { event: this.event || 'message', data: this.data.join('\n'), id: this.lastId };
      this.data = [];
      this.event = '';
      return event;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.lastId = value;
    return undefined;
  }
}

/**
 * The events of a streaming response, as they arrive. An event cut off by the end of the stream is
 * dropped, as EventSource does.
 * @param {Response} response
 * @returns {AsyncGenerator<ServerEvent>}
 */
export async function* serverEvents(response) {
  if (response.body === null) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      yield* parser.push(value);
    }
  } finally {
    // Leaving early (the person stopped following) closes the connection.
    reader.cancel().catch(() => undefined);
  }
}
