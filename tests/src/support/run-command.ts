// Running a command or the CLI from a test (execa): its exit code and output, whatever the exit code.
import path from 'node:path';
import { execa } from 'execa';
import { repoRoot } from './datasets.js';

export interface CommandResult {
  /** -1 when the process ended by a signal. */
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface CommandOptions {
  /** The whole environment of the command (default: this process's). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Killed (SIGKILL) and rejected after this long; default 120 s, 0 for no limit. */
  timeoutMs?: number;
}

/** Runs a command; resolves with its output whatever the exit code (rejects on a timeout or when it cannot start). */
export async function runCommand(
  command: string,
  args: readonly string[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const result = await execa(command, args, {
    cwd: options.cwd ?? repoRoot,
    env: options.env ?? process.env,
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
    stripFinalNewline: false,
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  if (result.timedOut) {
    throw new Error(
      `${command} ${args.join(' ')} timed out after ${timeoutMs} ms\n${result.stderr.slice(-2000)}`,
    );
  }
  if (result.failed && result.exitCode === undefined && result.signal === undefined)
    throw new Error(`could not run ${command}: ${result.shortMessage}`);
  return {
    code: result.exitCode ?? -1,
    stdout: result.stdout,
    stderr: result.stderr,
    ms: result.durationMs,
  };
}

/**
 * Runs the faceshot CLI (packages/cli) with only PATH and `env` in its environment, in `cwd` (default:
 * this process's), with no time limit of its own (the test's applies).
 */
export function runCli(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<CommandResult> {
  return runCommand(process.execPath, [path.join(repoRoot, 'packages/cli/dist/main.js'), ...args], {
    env: { PATH: process.env.PATH ?? '', ...options.env },
    cwd: options.cwd ?? process.cwd(),
    timeoutMs: 0,
  });
}
