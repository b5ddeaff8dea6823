// A role run as a child process of the one-process stack. Training runs TensorFlow.js on its
// thread's event loop for seconds per batch; in the stack's own process that would stall every HTTP
// request, so the trainer gets a process of its own (as it does under compose).
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Env } from '@faceshot/shared/config';
import type { Logger } from '@faceshot/shared/logger';
import type { RunningRole } from '@faceshot/shared/runtime';
import { waitForExit } from './embedded-redis.js';

const require = createRequire(import.meta.url);

/** Each role that runs in a child process, and its main module. */
export const CHILD_PROCESS_ROLES = { trainer: '@faceshot/trainer/main' } as const;
export type ChildProcessRole = keyof typeof CHILD_PROCESS_ROLES;

/** Starts the role's main in a child process and restarts it if it dies; stop() ends it gracefully. */
export function startRoleProcess(
  role: ChildProcessRole,
  env: Env,
  graceMs: number,
  logger: Logger,
): RunningRole {
  const main = require.resolve(CHILD_PROCESS_ROLES[role]);
  let stopping = false;
  let child: ChildProcess;
  const start = () => {
    child = spawn(process.execPath, [main], { env: { ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('exit', (code, signal) => {
      if (stopping) return;
      logger.error({ role, code, signal }, 'role process died; restarting it in 1 s');
      setTimeout(() => {
        if (!stopping) start();
      }, 1_000);
    });
  };
  start();
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  return {
    role,
    async stop() {
      stopping = true;
      child.kill('SIGTERM');
      if (!(await waitForExit(child, graceMs + 5_000))) {
        child.kill('SIGKILL');
        await waitForExit(child, 2_000);
      }
      process.off('exit', killOnExit);
    },
  };
}
