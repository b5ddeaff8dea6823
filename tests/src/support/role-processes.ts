// Role processes for end-to-end tests: each role as its own `node services/…/dist/main.js` with an
// explicit environment (nothing inherited but PATH), its output kept in memory and in a log file,
// readiness awaited (API: GET /readyz answers 200; workers: the 'role started' log line), kill -9 and
// SIGTERM with the time to exit measured, and every process still running killed by `stopAll` (call
// it in `after`; a process 'exit' hook kills stragglers if the test process dies first).
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Role } from '@faceshot/core/config';
import { repoRoot } from './datasets.js';

/** The roles, as in ROLES (packages/core/src/config.ts). */
export type RoleName = Role;

/** Each role's main, relative to the repository root (built by `npm run build`). */
export const ROLE_MAINS: Record<RoleName, string> = {
  api: 'services/api/dist/main.js',
  downloader: 'services/downloader/dist/main.js',
  extractor: 'services/extractor/dist/main.js',
  pairs: 'services/trainer/dist/pairs-main.js',
  trainer: 'services/trainer/dist/main.js',
  predictor: 'services/predictor/dist/main.js',
};

/** One pino JSON line (LOG_FORMAT=json). */
export interface LogLine {
  level?: number;
  time?: string;
  msg?: string;
  queue?: string;
  jobId?: string;
  [field: string]: unknown;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Date.now() when the exit was seen. */
  at: number;
}

/** An exit caused by the test, with how long the process took from the signal to its exit. */
export interface TimedExit extends ProcessExit {
  ms: number;
}

/** What a wait rejects with when the process exits before what it waited for. */
export class ProcessExitedError extends Error {}

const MAX_KEPT_CHARS = 8 * 1024 * 1024;

export class RoleProcess {
  readonly startedAt = Date.now();
  readonly exited: Promise<ProcessExit>;
  private exitInfo: ProcessExit | undefined;
  private sentSignal: NodeJS.Signals | undefined;
  private text = '';
  private partial = '';
  private readonly lines: LogLine[] = [];
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly name: string,
    readonly role: RoleName,
    readonly env: Readonly<Record<string, string>>,
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    const file = fs.createWriteStream(logFile, { flags: 'a' });
    // A full disk or a removed directory must not fail the test; the output is in memory as well.
    file.on('error', () => undefined);
    const onData = (chunk: Buffer) => {
      const piece = chunk.toString('utf8');
      file.write(piece);
      this.text += piece;
      if (this.text.length > MAX_KEPT_CHARS) this.text = this.text.slice(-MAX_KEPT_CHARS / 2);
      this.partial += piece;
      let newline = this.partial.indexOf('\n');
      while (newline >= 0) {
        this.parse(this.partial.slice(0, newline));
        this.partial = this.partial.slice(newline + 1);
        newline = this.partial.indexOf('\n');
      }
      this.notify();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal, at: Date.now() };
        this.notify();
        resolve(this.exitInfo);
      });
    });
    // Output may still arrive after 'exit'; 'close' comes once stdout and stderr are done.
    child.once('close', () => {
      if (this.partial !== '') this.parse(this.partial);
      this.partial = '';
      file.end();
      this.notify();
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  get exit(): ProcessExit | undefined {
    return this.exitInfo;
  }

  /** Everything the process wrote (stdout and stderr, interleaved as received). */
  output(): string {
    return this.text;
  }

  /** The last `count` lines of output, labelled with the process name. */
  tail(count = 40): string {
    const lines = this.text.split('\n').filter((line) => line !== '');
    const state = this.exitInfo
      ? `exited code=${this.exitInfo.code} signal=${this.exitInfo.signal}`
      : 'running';
    return [
      `--- ${this.name} (pid ${this.pid}, ${state}, log ${this.logFile}) ---`,
      ...lines.slice(-count),
    ].join('\n');
  }

  /** Every JSON log line so far, optionally only those the filter accepts. */
  logs(filter: (line: LogLine) => boolean = () => true): LogLine[] {
    return this.lines.filter(filter);
  }

  /** Resolves with the first log line (already seen or still to come) the predicate accepts. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine> {
    return this.waitFor(() => this.lines.find(predicate), timeoutMs, what);
  }

  /** Resolves with `check`'s first defined answer; checked on every output chunk and at exit. */
  waitFor<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const done = () => {
        this.listeners.delete(listener);
        clearTimeout(timer);
      };
      const listener = () => {
        const found = check();
        if (found !== undefined) {
          done();
          resolve(found);
        } else if (this.exitInfo !== undefined) {
          done();
          reject(new ProcessExitedError(`${this.name} exited before ${what}\n${this.tail()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name}: no ${what} within ${timeoutMs} ms\n${this.tail()}`));
      }, timeoutMs);
      this.listeners.add(listener);
      listener();
    });
  }

  /** kill -9; resolves once the process is gone. */
  async kill9(): Promise<TimedExit> {
    return this.signal('SIGKILL');
  }

  /** SIGTERM (graceful shutdown); resolves at exit with the time it took. */
  async terminate(): Promise<TimedExit> {
    return this.signal('SIGTERM');
  }

  /** The signal the test sent (kill9, terminate), if any: an exit the test asked for. */
  get signalled(): NodeJS.Signals | undefined {
    return this.sentSignal;
  }

  private async signal(signal: NodeJS.Signals): Promise<TimedExit> {
    this.sentSignal ??= signal;
    const sent = Date.now();
    if (this.exitInfo === undefined) this.child.kill(signal);
    const exit = await this.exited;
    return { ...exit, ms: exit.at - sent };
  }

  private parse(line: string): void {
    if (!line.startsWith('{')) return;
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed === 'object' && parsed !== null) this.lines.push(parsed as LogLine);
    } catch {
      // Not a log line (a stack trace, a warning); it is still in output().
    }
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

export interface StartOptions {
  /** Label in logs and file names; default `<role>-<n>`. */
  name?: string;
  /** Added to (and overriding) the supervisor's environment for this process only. */
  env?: Record<string, string>;
  /** How long to wait for readiness; generous by default (model loading on a busy 2-core machine). */
  readyTimeoutMs?: number;
}

/** Starts role processes with one shared environment and keeps track of every one of them. */
export class RoleSupervisor {
  readonly processes: RoleProcess[] = [];
  private readonly counts = new Map<RoleName, number>();
  private readonly onExit = () => {
    for (const entry of this.processes) if (entry.running) entry.child.kill('SIGKILL');
  };

  /**
   * @param env the environment of every process (LOG_FORMAT=json is added; only PATH is inherited)
   * @param logDir where each process's output is written, one `<name>.log` per process
   */
  constructor(
    readonly env: Readonly<Record<string, string>>,
    readonly logDir: string,
  ) {
    fs.mkdirSync(logDir, { recursive: true });
    process.on('exit', this.onExit);
  }

  /** Starts a process and returns at once (see `start` to wait for readiness). */
  spawn(role: RoleName, options: StartOptions = {}): RoleProcess {
    const count = (this.counts.get(role) ?? 0) + 1;
    this.counts.set(role, count);
    const name = options.name ?? `${role}-${count}`;
    const env = { PATH: process.env.PATH ?? '', LOG_FORMAT: 'json', ...this.env, ...options.env };
    const child = spawn(process.execPath, [path.join(repoRoot, ROLE_MAINS[role])], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started = new RoleProcess(name, role, env, child, path.join(this.logDir, `${name}.log`));
    this.processes.push(started);
    return started;
  }

  /** Starts a process and waits until it is ready. */
  async start(role: RoleName, options: StartOptions = {}): Promise<RoleProcess> {
    const started = this.spawn(role, options);
    await this.waitReady(started, options.readyTimeoutMs ?? 120_000);
    return started;
  }

  /** API: GET /readyz answers 200 (Redis and storage reachable). Workers: 'role started' was logged. */
  async waitReady(role: RoleProcess, timeoutMs: number): Promise<void> {
    if (role.role !== 'api') {
      await role.waitForLog((line) => line.msg === 'role started', timeoutMs, "the 'role started' log line");
      return;
    }
    const url = `${apiUrlOf(role.env)}/readyz`;
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (!role.running)
        throw new ProcessExitedError(`${role.name} exited before it was ready\n${role.tail()}`);
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
        last = `${response.status} ${await response.text()}`;
        if (response.status === 200) return;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`${role.name}: ${url} not ready within ${timeoutMs} ms (last: ${last})\n${role.tail()}`);
  }

  /** The processes of a role that are still running. */
  running(role?: RoleName): RoleProcess[] {
    return this.processes.filter((entry) => entry.running && (role === undefined || entry.role === role));
  }

  /** Fails with its output if any process exited that the test did not signal. */
  assertNoneDied(): void {
    for (const entry of this.processes) {
      if (entry.exit !== undefined && entry.signalled === undefined)
        throw new Error(`${entry.name} exited on its own\n${entry.tail()}`);
    }
  }

  /** The tail of every process's output, for a failure message. */
  tails(lines = 30): string {
    return this.processes.map((entry) => entry.tail(lines)).join('\n');
  }

  /** Set once a `diagnose` body failed: keep the log files (see `keepLogsIfFailed`). */
  failed = false;

  /** Runs `body`; if it throws, prints every process's tail to stderr first, then rethrows. */
  async diagnose<T>(body: () => Promise<T>, lines = 30): Promise<T> {
    try {
      return await body();
    } catch (error) {
      this.failed = true;
      process.stderr.write(`\nrole process output (last ${lines} lines each):\n${this.tails(lines)}\n`);
      throw error;
    }
  }

  /**
   * Removes `root` (a temporary directory holding `logDir`) unless a `diagnose` body failed; then only
   * the log files stay, and where they are is printed.
   */
  async removeUnlessFailed(root: string): Promise<void> {
    if (!this.failed) {
      await fs.promises.rm(root, { recursive: true, force: true });
      return;
    }
    for (const entry of await fs.promises.readdir(root)) {
      const full = path.join(root, entry);
      if (full !== path.resolve(this.logDir)) await fs.promises.rm(full, { recursive: true, force: true });
    }
    process.stderr.write(`role process logs kept in ${this.logDir}\n`);
  }

  /** kill -9 every process still running and waits until all are gone. */
  async stopAll(): Promise<void> {
    await Promise.all(this.processes.filter((entry) => entry.running).map((entry) => entry.kill9()));
    process.off('exit', this.onExit);
  }
}

/** The base URL of an API process started with this environment. */
export function apiUrlOf(env: Readonly<Record<string, string>>): string {
  const host = env.API_HOST ?? '127.0.0.1';
  return `http://${host}:${env.API_PORT ?? '3000'}`;
}
