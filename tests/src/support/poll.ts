// Waiting in tests: ask again until the answer is there or the time is up. The one poll loop every
// test and support module uses.

export interface PollOptions {
  /** Between checks: fixed milliseconds, or a function of the check's number (0, 1, …). Default 200. */
  intervalMs?: number | ((check: number) => number);
  /**
   * Ask again when the check throws (a server not listening yet); the last error is named on timeout.
   * Without it an error ends the wait at once.
   */
  retryErrors?: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `check` until it answers something other than undefined and returns that answer;
 * throws after `timeoutMs`, naming `what` it waited for.
 */
export async function pollUntil<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  what: string,
  options: PollOptions | number = {},
): Promise<T> {
  const { intervalMs = 200, retryErrors = false } =
    typeof options === 'number' ? { intervalMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (let attempt = 0; ; attempt++) {
    try {
      const found = await check();
      if (found !== undefined) return found;
    } catch (error) {
      if (!retryErrors) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      const reason =
        lastError === undefined
          ? ''
          : ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}`);
    }
    await sleep(typeof intervalMs === 'number' ? intervalMs : intervalMs(attempt));
  }
}
