import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job } from './job-status-fixture.js';
import { jobStageState, modelStatus } from './stage-state.js';

describe('jobStageState', () => {
  it('keeps completed, failed and active; anything else waits, or is cancelled with its pipeline', () => {
    assert.equal(jobStageState(job('completed'), true), 'completed');
    assert.equal(jobStageState(job('failed'), false), 'failed');
    assert.equal(jobStageState(job('active'), true), 'active');
    for (const state of ['waiting', 'delayed', 'prioritized', 'waiting-children', 'unknown'] as const) {
      assert.equal(jobStageState(job(state), false), 'waiting', state);
      assert.equal(jobStageState(job(state), true), 'cancelled', state);
    }
    assert.equal(jobStageState(undefined, false), 'waiting');
    assert.equal(jobStageState(undefined, true), 'cancelled');
  });
});

describe('modelStatus', () => {
  it('is ready once the card is written, whatever the jobs say', () => {
    assert.deepEqual(modelStatus(true, undefined, undefined), { status: 'ready' });
    assert.deepEqual(modelStatus(true, job('completed'), job('completed')), { status: 'ready' });
  });

  it('fails with the reason of the first failed job, pairs before train', () => {
    assert.deepEqual(modelStatus(false, job('failed', { failedReason: 'no faces' }), undefined), {
      status: 'failed',
      failedReason: 'no faces',
    });
    assert.deepEqual(modelStatus(false, job('completed'), job('failed', { failedReason: 'out of memory' })), {
      status: 'failed',
      failedReason: 'out of memory',
    });
  });

  it('names the stage that runs, else queued', () => {
    assert.deepEqual(modelStatus(false, job('completed'), job('active')), { status: 'training' });
    assert.deepEqual(modelStatus(false, job('active'), job('waiting-children')), {
      status: 'building-pairs',
    });
    assert.deepEqual(modelStatus(false, job('waiting'), job('waiting-children')), { status: 'queued' });
    assert.deepEqual(modelStatus(false, undefined, undefined), { status: 'queued' });
  });
});
