// Politeness per host within one downloader process: at most N requests in flight to a host, and at
// least `intervalMs` between the starts of two requests to it.

interface HostState {
  active: number;
  lastStart: number;
  waiting: (() => void)[];
}

export class HostLimiter {
  private readonly hosts = new Map<string, HostState>();

  constructor(
    private readonly concurrency: number,
    private readonly intervalMs: number,
  ) {}

  async run<T>(host: string, task: () => Promise<T>): Promise<T> {
    const state = this.hosts.get(host) ?? { active: 0, lastStart: 0, waiting: [] };
    this.hosts.set(host, state);
    while (state.active >= this.concurrency) {
      await new Promise<void>((resolve) => state.waiting.push(resolve));
    }
    state.active += 1;
    try {
      const wait = state.lastStart + this.intervalMs - Date.now();
      state.lastStart = Math.max(Date.now(), state.lastStart + this.intervalMs);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      return await task();
    } finally {
      state.active -= 1;
      const next = state.waiting.shift();
      if (next) next();
      else if (state.active === 0 && Date.now() >= state.lastStart + this.intervalMs) this.hosts.delete(host);
    }
  }
}
