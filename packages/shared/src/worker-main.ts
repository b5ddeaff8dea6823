// The main of a worker-only process: one role, its stages, graceful shutdown.
import type { Role } from './config.js';
import { runMain } from './process.js';
import { closeRuntime, createRuntime, type StageBinding, startWorkerRole } from './runtime.js';

export async function runWorkerRoleMain(role: Role, stages: readonly StageBinding[]): Promise<void> {
  await runMain(role, async (config, logger) => {
    const runtime = await createRuntime(config, logger);
    const running = startWorkerRole(runtime, role, stages);
    return {
      async stop() {
        await running.stop();
        await closeRuntime(runtime);
      },
    };
  });
}
