import assert from 'node:assert/strict';
import { it } from 'node:test';
import { type RemovableJob, removeUnlessRunning } from './job-removal.js';

function job(removal: 'ok' | Error, stateAfter: string): RemovableJob & { removed: boolean } {
  return {
    id: '1',
    removed: false,
    async remove() {
      if (removal !== 'ok') throw removal;
      this.removed = true;
    },
    async getState() {
      return stateAfter;
    },
  };
}

it('reports a removed job as removed', async () => {
  const removable = job('ok', 'unknown');
  assert.equal(await removeUnlessRunning(removable, { removeChildren: true }), 'removed');
  assert.equal(removable.removed, true);
});

it('reports a job a worker took meanwhile as running, and one that finished as gone', async () => {
  const locked = new Error('Job 1 could not be removed because it is locked by another worker');
  assert.equal(await removeUnlessRunning(job(locked, 'active'), { removeChildren: true }), 'running');
  assert.equal(await removeUnlessRunning(job(locked, 'unknown'), { removeChildren: true }), 'gone');
});

it('fails when the removal failed and the job is still waiting (no success on failure)', async () => {
  const down = new Error('Connection is closed.');
  await assert.rejects(
    removeUnlessRunning(job(down, 'waiting'), { removeChildren: false }),
    /Connection is closed/,
  );
});
