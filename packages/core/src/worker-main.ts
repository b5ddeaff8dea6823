// The main of a worker-only process: one role, its stages, graceful shutdown.
import type { Role } from './config.js';
import { runMain } from './process.js';
import {
  closeRuntime,
  createRuntime,
  type StageFactory,
  startOnnxModelMirror,
  startWorkerRole,
} from './runtime.js';

export async function runWorkerRoleMain(role: Role, stages: StageFactory): Promise<void> {
  await runMain(role, async (config, logger) => {
    const runtime = await createRuntime(config, logger);
    await startOnnxModelMirror(runtime, [role]);
    const running = startWorkerRole(runtime, role, stages(runtime));
    return {
      async stop() {
        await running.stop();
        await closeRuntime(runtime);
      },
    };
  });
}
