// A role run as a child process of the one-process stack. Training runs TensorFlow.js on its
// thread's event loop for seconds per batch; in the stack's own process that would stall every HTTP
// request, so the trainer gets a process of its own (as it does under compose).
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Env } from '@faceshot/core/config';
import type { Logger } from '@faceshot/core/logger';
import type { RunningRole } from '@faceshot/core/runtime';
import { waitForExit } from './embedded-redis.js';

const require = createRequire(import.meta.url);

/** Each role that runs in a child process, and its main module. */
export const CHILD_PROCESS_ROLES = { trainer: '@faceshot/trainer/main' } as const;
export type ChildProcessRole = keyof typeof CHILD_PROCESS_ROLES;

export interface RestartPolicy {
  /** Delay before the first restart; it doubles with every further one in a row. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** Restarts in a row after which the role is given up (the rest of the stack keeps running). */
  maxRestarts: number;
  /** A process that ran this long before dying starts the count afresh. */
  healthyAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  firstDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxRestarts: 8,
  healthyAfterMs: 60_000,
};

export interface RoleProcessOptions {
  restart?: RestartPolicy;
  /** The module to run instead of the role's main (tests). */
  main?: string;
}

/**
 * Starts the role's main in a child process and restarts it if it dies, with a growing delay, giving
 * up after `maxRestarts` deaths in a row; stop() ends it gracefully.
 */
export function startRoleProcess(
  role: ChildProcessRole,
  env: Env,
  graceMs: number,
  logger: Logger,
  options: RoleProcessOptions = {},
): RunningRole {
  const main = options.main ?? require.resolve(CHILD_PROCESS_ROLES[role]);
  const policy = options.restart ?? DEFAULT_RESTART_POLICY;
  let stopping = false;
  let child: ChildProcess;
  let restartsInARow = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  const start = () => {
    const startedAt = Date.now();
    child = spawn(process.execPath, [main], { env: { ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('exit', (code, signal) => {
      if (stopping) return;
      if (Date.now() - startedAt >= policy.healthyAfterMs) restartsInARow = 0;
      if (restartsInARow >= policy.maxRestarts) {
        logger.error(
          { role, code, signal, restarts: restartsInARow },
          `role process died ${restartsInARow + 1} times in a row: giving up; its jobs wait in the queue until the stack is restarted`,
        );
        return;
      }
      const delayMs = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** restartsInARow);
      restartsInARow += 1;
      logger.error(
        { role, code, signal, restart: restartsInARow, maxRestarts: policy.maxRestarts, delayMs },
        'role process died; restarting it',
      );
      restartTimer = setTimeout(() => {
        if (!stopping) start();
      }, delayMs);
    });
  };
  start();
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  return {
    role,
    async stop() {
      stopping = true;
      clearTimeout(restartTimer);
      if (child.exitCode !== null || child.signalCode !== null) {
        process.off('exit', killOnExit);
        return;
      }
      child.kill('SIGTERM');
      if (!(await waitForExit(child, graceMs + 5_000))) {
        child.kill('SIGKILL');
        await waitForExit(child, 2_000);
      }
      process.off('exit', killOnExit);
    },
  };
}
