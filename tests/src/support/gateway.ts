// API keys and a request helper for the gateway tests (auth, limits, CORS, docs, metrics).
import type { JsonResponse } from './http.js';

/** One key per role; secrets long enough for API_KEYS' rules. */
export const TEST_KEYS = {
  reader: 'reader-secret-0123456789abcdef',
  writer: 'writer-secret-0123456789abcdef',
  admin: 'admin-secret-0123456789abcdef',
} as const;

export const TEST_API_KEYS = [
  `reader:read:${TEST_KEYS.reader}`,
  `writer:write:${TEST_KEYS.writer}`,
  `ops:admin:${TEST_KEYS.admin}`,
].join(',');

export function bearer(secret: string): Record<string, string> {
  return { authorization: `Bearer ${secret}` };
}

export interface GatewayResponse extends JsonResponse {
  headers: Headers;
  text: string;
}

/** Any request; the body is parsed as JSON when it is JSON, and kept as text either way. */
export async function call(url: string, init: RequestInit = {}): Promise<GatewayResponse> {
  const response = await fetch(url, { redirect: 'manual', ...init });
  const text = await response.text();
  const contentType = response.headers.get('content-type') ?? '';
  const body = /json/.test(contentType) && text !== '' ? (JSON.parse(text) as Record<string, unknown>) : {};
  return { status: response.status, contentType, body, headers: response.headers, text };
}

export function postJsonAs(secret: string, body: unknown): RequestInit {
  return {
    method: 'POST',
    headers: { ...bearer(secret), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  };
}
