import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PipelineEntry } from '@faceshot/core/datasets/pipeline-repository';
import { job } from './job-status-fixture.js';
import { type PipelineJobs, pipelineStatusOf } from './pipeline-status.js';

const entry: PipelineEntry = {
  id: 'pl_1',
  datasetId: 'ds_1',
  modelId: 'model_1',
  createdAt: new Date(0).toISOString(),
  jobs: { download: ['d1', 'd2'], curate: 'c', pairs: 'p', train: 't', enrol: 'e' },
};

function jobs(overrides: Partial<PipelineJobs>): PipelineJobs {
  return {
    downloads: [job('waiting'), job('waiting')],
    curate: job('waiting-children'),
    pairs: job('waiting-children'),
    train: job('waiting-children'),
    enrol: job('waiting-children'),
    curateChildren: { unprocessed: 2 },
    ...overrides,
  };
}

const states = (status: ReturnType<typeof pipelineStatusOf>) =>
  Object.fromEntries(status.stages.map((stage) => [stage.name, stage.state]));

describe('pipelineStatusOf', () => {
  it('a fresh pipeline waits in every stage', () => {
    const status = pipelineStatusOf(entry, jobs({}));
    assert.equal(status.state, 'running');
    assert.deepEqual(states(status), {
      download: 'waiting',
      extract: 'waiting',
      curate: 'waiting',
      pairs: 'waiting',
      train: 'waiting',
      enrol: 'waiting',
    });
  });

  it('counts downloads, a failed one included, and keeps running past it', () => {
    const status = pipelineStatusOf(
      entry,
      jobs({
        downloads: [job('completed'), job('failed', { failedReason: '404' })],
        curateChildren: { processed: 1, failed: 1, unprocessed: 3 },
      }),
    );
    const download = status.stages[0];
    assert.equal(download?.state, 'completed');
    assert.deepEqual(download?.jobs, { total: 2, completed: 1, failed: 1 });
    assert.equal(download?.progress, 100);
    assert.equal(status.state, 'running');
    // The curate job's other three children are extract jobs, and it waits for them.
    assert.deepEqual(status.stages[1]?.jobs, { total: 3, completed: 0, failed: 0 });
    assert.equal(status.stages[1]?.state, 'active');
    assert.equal(status.stages[2]?.state, 'waiting');
  });

  it('skips downloads when there are none, and extraction when curation had nothing to extract', () => {
    const status = pipelineStatusOf(
      { ...entry, jobs: { ...entry.jobs, download: [] } },
      jobs({ downloads: [], curate: job('completed', { result: { kept: 3 } }), curateChildren: {} }),
    );
    assert.deepEqual(states(status).download, 'skipped');
    assert.deepEqual(states(status).extract, 'skipped');
    assert.deepEqual(states(status).curate, 'completed');
    assert.deepEqual(status.stages[2]?.result, { kept: 3 });
    assert.equal(status.stages[2]?.progress, 100);
  });

  it('an active curate job still waits while its extract children are unfinished', () => {
    const running = pipelineStatusOf(
      entry,
      jobs({
        downloads: [job('completed'), job('completed')],
        curate: job('active'),
        curateChildren: { processed: 3, unprocessed: 2 },
      }),
    );
    assert.equal(states(running).extract, 'waiting');
    assert.equal(states(running).curate, 'waiting');
    const extracted = pipelineStatusOf(
      entry,
      jobs({
        downloads: [job('completed'), job('completed')],
        curate: job('active', { progress: 40 }),
        curateChildren: { processed: 5 },
      }),
    );
    assert.equal(states(extracted).extract, 'completed');
    assert.equal(states(extracted).curate, 'active');
    assert.equal(extracted.stages[2]?.progress, 40);
  });

  it('fails with the first failed stage after the downloads, naming it', () => {
    const status = pipelineStatusOf(
      entry,
      jobs({
        downloads: [job('completed'), job('completed')],
        curate: job('completed'),
        pairs: job('completed'),
        train: job('failed', { failedReason: 'diverged' }),
        curateChildren: { processed: 2 },
      }),
    );
    assert.equal(status.state, 'failed');
    assert.equal(status.failedReason, 'train: diverged');
    assert.deepEqual(status.stages[4]?.jobs, { total: 1, completed: 0, failed: 1 });
  });

  it('a failed curate job fails extraction too', () => {
    const status = pipelineStatusOf(entry, jobs({ curate: job('failed', { failedReason: 'no faces' }) }));
    assert.equal(states(status).extract, 'failed');
    assert.equal(states(status).curate, 'failed');
    assert.equal(status.state, 'failed');
    assert.equal(status.stages[2]?.failedReason, 'no faces');
  });

  it('is completed when enrolment completed, cancelled once cancelled', () => {
    const done = pipelineStatusOf(entry, jobs({ enrol: job('completed') }));
    assert.equal(done.state, 'completed');
    const cancelled = pipelineStatusOf({ ...entry, cancelledAt: new Date(1).toISOString() }, jobs({}));
    assert.equal(cancelled.state, 'cancelled');
    assert.deepEqual(states(cancelled), {
      download: 'cancelled',
      extract: 'cancelled',
      curate: 'cancelled',
      pairs: 'cancelled',
      train: 'cancelled',
      enrol: 'cancelled',
    });
  });
});
