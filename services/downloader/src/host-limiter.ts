// Politeness per host within one downloader process: at most N requests in flight to a host, and at
// least `intervalMs` between the starts of two requests to it.

interface HostState {
  active: number;
  /** When the latest request to the host really started (after its wait). */
  lastStart: number;
  /** Settles when the latest request to be admitted has started: starts happen one at a time. */
  startGate: Promise<void>;
  waiting: (() => void)[];
}

export class HostLimiter {
  private readonly hosts = new Map<string, HostState>();

  constructor(
    private readonly concurrency: number,
    private readonly intervalMs: number,
  ) {}

  async run<T>(host: string, task: () => Promise<T>): Promise<T> {
    const state = this.hosts.get(host) ?? {
      active: 0,
      lastStart: Number.NEGATIVE_INFINITY,
      startGate: Promise.resolve(),
      waiting: [],
    };
    this.hosts.set(host, state);
    while (state.active >= this.concurrency) {
      await new Promise<void>((resolve) => state.waiting.push(resolve));
    }
    state.active += 1;
    try {
      await this.startAfterInterval(state);
      return await task();
    } finally {
      state.active -= 1;
      const next = state.waiting.shift();
      if (next) next();
      else if (state.active === 0 && Date.now() >= state.lastStart + this.intervalMs) this.hosts.delete(host);
    }
  }

  /**
   * Waits for the previous start, then until `intervalMs` after it. The interval is measured from when
   * the previous request really started, not from when it was due: a timer that fires late (a busy
   * machine) must not let the next request start early.
   */
  private async startAfterInterval(state: HostState): Promise<void> {
    const previous = state.startGate;
    let started: () => void = () => undefined;
    state.startGate = new Promise<void>((resolve) => {
      started = resolve;
    });
    try {
      await previous;
      for (let wait = state.lastStart + this.intervalMs - Date.now(); wait > 0; ) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        wait = state.lastStart + this.intervalMs - Date.now();
      }
      state.lastStart = Date.now();
    } finally {
      started();
    }
  }
}
