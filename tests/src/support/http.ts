import assert from 'node:assert/strict';
import { pollUntil } from './poll.js';

export interface JsonResponse {
  status: number;
  contentType: string;
  body: Record<string, unknown>;
}

export async function getJson(url: string): Promise<JsonResponse> {
  const response = await fetch(url);
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: (await response.json()) as Record<string, unknown>,
  };
}

/** Polls a job through the API until it completes or fails (or `timeoutMs` passes). */
export async function waitForJob(
  baseUrl: string,
  queue: string,
  id: string,
  timeoutMs = 15_000,
): Promise<JsonResponse> {
  let state = 'unknown';
  return pollUntil(
    async () => {
      const response = await getJson(`${baseUrl}/v1/jobs/${queue}/${encodeURIComponent(id)}`);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      state = String(response.body.state);
      return state === 'completed' || state === 'failed' ? response : undefined;
    },
    timeoutMs,
    `job ${queue}/${id} (still ${state})`,
    // Quick at first (most test jobs take milliseconds), then at most once a second.
    { intervalMs: (poll) => Math.min(1000, 25 * 1.5 ** poll) },
  );
}

export function assertProblem(response: JsonResponse, status: number, detail: RegExp): void {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.match(response.contentType, /^application\/problem\+json/);
  assert.equal(response.body.status, status);
  assert.equal(typeof response.body.title, 'string');
  assert.match(String(response.body.detail), detail);
}
