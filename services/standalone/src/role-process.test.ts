import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { it } from 'node:test';
import { createLogger } from '@faceshot/core/logger';
import { startRoleProcess } from './role-process.js';

it('restarts a crashing role with a growing delay and gives up after maxRestarts', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'faceshot-role-'));
  const script = path.join(dir, 'crash.mjs');
  await fs.writeFile(script, 'process.exit(3);\n');
  const lines: { msg: string; delayMs?: number; restarts?: number }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()) as { msg: string });
      callback();
    },
  });
  const logger = createLogger({ level: 'info', format: 'json' }, {}, false, sink);
  const role = startRoleProcess('trainer', {}, 1_000, logger, {
    main: script,
    restart: { firstDelayMs: 20, maxDelayMs: 50, maxRestarts: 3, healthyAfterMs: 60_000 },
  });
  try {
    const deadline = Date.now() + 15_000;
    while (!lines.some((line) => /giving up/.test(line.msg))) {
      if (Date.now() > deadline) assert.fail(`never gave up: ${JSON.stringify(lines)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const restarts = lines.filter((line) => line.msg === 'role process died; restarting it');
    assert.deepEqual(
      restarts.map((line) => line.delayMs),
      [20, 40, 50],
    );
    const givenUp = lines.find((line) => /giving up/.test(line.msg));
    assert.match(givenUp?.msg ?? '', /died 4 times in a row: giving up/);
    // Nothing restarts after giving up.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(lines.filter((line) => line.msg === 'role process died; restarting it').length, 3);
  } finally {
    await role.stop();
    await fs.rm(dir, { recursive: true, force: true });
  }
});
