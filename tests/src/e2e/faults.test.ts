// Faults across real role processes, each during its own small pipeline (5 LFW people × 4 photos):
//   a. kill -9 of an extractor mid-job: the other extractor takes the job over once its lock expires;
//   b. Redis (a private redis-server with AOF) stopped for 3 s: every process reconnects;
//   c. the S3 server (a container, killed and started again, or s3rver) down during extraction:
//      workers pause and hand jobs back;
//   d. SIGTERM of the trainer mid-training: it exits within the grace period, and a replacement trainer
//      finishes the job (resuming from its checkpoint).
// Each pipeline must complete with exactly one record per photo and one face per face found.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, it, type TestContext } from 'node:test';
import { freePort } from '@faceshot/core/free-port';
import {
  checkExtractionOutputs,
  describePipeline,
  E2eClient,
  type PipelineStatus,
  type StoredPhoto,
  s3Environment,
  samplePeople,
} from '../support/e2e-api.js';
import { pollUntil } from '../support/poll.js';
import { type PrivateRedis, startPrivateRedis } from '../support/private-redis.js';
import { apiUrlOf, type LogLine, type RoleProcess, RoleSupervisor } from '../support/role-processes.js';
import { startTestS3, type TestS3 } from '../support/test-s3.js';

const KEY = randomBytes(24).toString('hex');
const LOCK_MS = 5_000;
const GRACE_MS = 3_000;
/** How long a fault lasts. */
const OUTAGE_MS = 3_000;
/** Generous: the machine's two cores are shared with other work. */
const PIPELINE_TIMEOUT_MS = 300_000;

let redis: PrivateRedis | undefined;
let s3: TestS3 | undefined;
let root: string | undefined;
let roles: RoleSupervisor | undefined;
let client: E2eClient;

before(
  async () => {
    redis = await startPrivateRedis();
    s3 = await startTestS3();
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'faceshot-e2e-faults-'));
    await fs.mkdir(path.join(root, 'tmp'));
    roles = new RoleSupervisor(
      {
        REDIS_URL: redis.url,
        REDIS_PREFIX: 'faceshot-faults',
        ...s3Environment(s3.config),
        DATA_DIR: path.join(root, 'data'),
        TEMP_DIR: path.join(root, 'tmp'),
        API_PORT: String(await freePort()),
        API_AUTH: 'keys',
        API_KEYS: `e2e:write:${KEY}`,
        EXTRACT_THREADS: '1',
        PREDICT_THREADS: '1',
        PREDICT_TIMEOUT_MS: '120000',
        JOB_LOCK_MS: String(LOCK_MS),
        JOB_ATTEMPTS: '8',
        JOB_BACKOFF_MS: '500',
        SHUTDOWN_GRACE_MS: String(GRACE_MS),
        LOG_LEVEL: 'info',
      },
      path.join(root, 'logs'),
    );
    const supervisor = roles;
    await supervisor.diagnose(async () => {
      await Promise.all([
        supervisor.start('api'),
        supervisor.start('extractor', { name: 'extractor-a' }),
        supervisor.start('extractor', { name: 'extractor-b' }),
        supervisor.start('pairs'),
        supervisor.start('trainer', { name: 'trainer-a' }),
        supervisor.start('predictor'),
      ]);
    });
    client = new E2eClient(apiUrlOf(supervisor.env), KEY);
  },
  { timeout: 240_000 },
);

after(
  async () => {
    await roles?.stopAll();
    await s3?.outage?.up();
    await s3?.stop();
    await redis?.close();
    if (root !== undefined) {
      if (roles === undefined) await fs.rm(root, { recursive: true, force: true });
      else await roles.removeUnlessFailed(root);
    }
  },
  { timeout: 120_000 },
);

interface Run {
  photos: StoredPhoto[];
  pipeline: PipelineStatus;
  /** Extract job ids start with this (they are children of the pipeline's curate job). */
  extractPrefix: string;
}

/** A dataset of 5 people × 4 photos (`offset` picks the people) and a pipeline on it. */
async function startRun(
  name: string,
  offset: number,
  hyperparameters: Record<string, number> = {},
): Promise<Run> {
  const sample = samplePeople('lfw-dev', { count: 5, perPerson: 4, offset });
  const datasetId = await client.createDataset(name);
  const photos = await client.upload(datasetId, sample.upload);
  const pipeline = await client.startPipeline(datasetId, {
    hyperparameters: { epochs: 3, ...hyperparameters },
    pairsPerClass: 60,
    // 5 people: 2 for validation (dissimilar pairs need two), the rest to train on.
    validationShare: 0.4,
    testShare: 0.05,
  });
  const curate = pipeline.stages.find((stage) => stage.name === 'curate')?.jobIds[0] ?? '';
  return { photos, pipeline, extractPrefix: `${curate}-extract-` };
}

function extractors(): RoleProcess[] {
  return (roles as RoleSupervisor).processes.filter((entry) => entry.role === 'extractor');
}

/** 'job completed' lines of this run's extract jobs, from every extractor that ever ran. */
function extractCompletions(run: Run): LogLine[] {
  return extractors().flatMap((extractor) =>
    extractor.logs(
      (line) => line.msg === 'job completed' && String(line.jobId).startsWith(run.extractPrefix),
    ),
  );
}

async function waitForExtractCompletions(run: Run, count: number): Promise<void> {
  await pollUntil(
    () => (extractCompletions(run).length >= count ? true : undefined),
    PIPELINE_TIMEOUT_MS,
    `${count} extract jobs to complete`,
    50,
  );
}

/** Waits for the pipeline and checks what every pipeline here must leave behind. */
async function finishRun(
  t: TestContext,
  run: Run,
): Promise<{ status: PipelineStatus; unavailable: number; lastError?: string }> {
  const outcome = await client.waitForPipeline(run.pipeline.id, { timeoutMs: PIPELINE_TIMEOUT_MS });
  assert.equal(outcome.status.state, 'completed', describePipeline(outcome.status));
  const extract = outcome.status.stages.find((stage) => stage.name === 'extract');
  assert.equal(extract?.jobs.completed, run.photos.length, describePipeline(outcome.status));
  const outputs = await checkExtractionOutputs((s3 as TestS3).store, run.pipeline.datasetId, run.photos);
  assert.deepEqual(outputs.problems, [], 'one record per photo, one face and grey face per face found');
  assert.ok(outputs.withFace >= run.photos.length - 3, `faces in only ${outputs.withFace} photos`);
  const model = await client.expect(200, 'GET', `/v1/models/${run.pipeline.modelId}`);
  assert.equal(model.status, 'ready');
  assert.ok(Number(model.galleryIdentities) >= 4, `gallery of ${model.galleryIdentities}`);
  t.diagnostic(`pipeline: ${describePipeline(outcome.status)}`);
  return outcome;
}

it('a. kill -9 of an extractor mid-job: the other extractor completes the job, nothing is duplicated', {
  timeout: 600_000,
}, async (t) => {
  const supervisor = roles as RoleSupervisor;
  await supervisor.diagnose(async () => {
    const run = await startRun('fault-kill', 40);
    // The victim is the extractor that runs the curate job, which adds the extract jobs and then waits
    // for them: killed as it starts its first extract job, it may die before the curate job is parked.
    const curateId = run.extractPrefix.replace(/-extract-$/, '');
    const victim = await pollUntil(
      () =>
        supervisor
          .running('extractor')
          .find(
            (extractor) =>
              extractor.logs(
                (line) => line.msg === 'job started' && line.queue === 'curate' && line.jobId === curateId,
              ).length > 0,
          ),
      PIPELINE_TIMEOUT_MS,
      'the curate job to start',
      20,
    );
    const survivor = supervisor.running('extractor').find((extractor) => extractor !== victim) as RoleProcess;
    const isRunExtract = (line: LogLine) => String(line.jobId).startsWith(run.extractPrefix);
    await victim.waitForLog(
      (line) => line.msg === 'job started' && line.queue === 'extract' && isRunExtract(line),
      PIPELINE_TIMEOUT_MS,
      'an extract job of the pipeline to start',
    );
    const killed = await victim.kill9();
    const completedByVictim = new Set(
      victim.logs((line) => line.msg === 'job completed' && isRunExtract(line)).map((line) => line.jobId),
    );
    const inFlight = victim
      .logs((line) => line.msg === 'job started' && isRunExtract(line))
      .map((line) => String(line.jobId))
      .filter((id) => !completedByVictim.has(id));
    assert.equal(inFlight.length, 1, 'the extractor was killed with one extract job active');
    const jobId = inFlight[0] as string;

    const recovered = await pollUntil(
      async () => {
        const job = await client.job('extract', jobId);
        return job?.state === 'completed' ? Date.now() : undefined;
      },
      120_000,
      `extract job ${jobId} to complete after the kill`,
      100,
    );
    const recoveryMs = recovered - killed.at;
    assert.ok(
      survivor.logs((line) => line.msg === 'job completed' && line.jobId === jobId).length === 1,
      'the surviving extractor completed the killed job',
    );
    const parked = victim.logs(
      (line) => line.msg === 'waiting for its child jobs' && line.jobId === curateId,
    );
    t.diagnostic(
      `killed ${victim.name} during extract job ${jobId} (the curate job it ran was ${parked.length > 0 ? 'already' : 'not yet'} ` +
        `waiting for its children); job completed by ${survivor.name} ${recoveryMs} ms after the kill (JOB_LOCK_MS=${LOCK_MS})`,
    );
    assert.ok(recoveryMs < 6 * LOCK_MS + 30_000, `recovery took ${recoveryMs} ms`);

    await finishRun(t, run);
    // Each extract job completed exactly once (none twice, though one ran twice).
    const completions = extractCompletions(run).map((line) => String(line.jobId));
    assert.equal(completions.length, run.photos.length);
    assert.equal(new Set(completions).size, run.photos.length);
    supervisor.assertNoneDied();
    // Back to two extractors for what follows.
    await supervisor.start('extractor', { name: 'extractor-c' });
  });
});

it('b. Redis stopped for 3 s mid-pipeline: every role reconnects and the pipeline completes', {
  timeout: 600_000,
}, async (t) => {
  const supervisor = roles as RoleSupervisor;
  const privateRedis = redis as PrivateRedis;
  await supervisor.diagnose(async () => {
    const runStarted = Date.now();
    const run = await startRun('fault-redis', 45);
    await waitForExtractCompletions(run, 3);
    const before = extractCompletions(run).length;
    const downAt = Date.now();
    const stopMs = await privateRedis.stop();
    const readyz = await fetch(`${client.baseUrl}/readyz`, { signal: AbortSignal.timeout(10_000) });
    const readyzBody = await readyz.text();
    const asked = Date.now();
    const statusMeanwhile = await client.request(
      'GET',
      `/v1/pipelines/${run.pipeline.id}`,
      undefined,
      10_000,
    );
    const answeredMs = Date.now() - asked;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, OUTAGE_MS - (Date.now() - downAt))));
    await privateRedis.start();
    const upAt = Date.now();
    t.diagnostic(
      `redis stopped (${stopMs} ms to exit) after ${before} extract jobs, back after ${upAt - downAt} ms; meanwhile ` +
        `/readyz: ${readyz.status} ${readyzBody}; GET /v1/pipelines/:id: ${statusMeanwhile.status} in ${answeredMs} ms ${statusMeanwhile.text}`,
    );
    assert.equal(readyz.status, 503);
    assert.match(readyzBody, /redis/);
    assert.ok(statusMeanwhile.status >= 500, 'the API answers at once with an error while Redis is down');

    const progressed = await pollUntil(
      () => (extractCompletions(run).length > before ? Date.now() : undefined),
      120_000,
      'an extract job to complete after Redis came back',
      100,
    );
    const { status, unavailable, lastError } = await finishRun(t, run);
    const jobs = await client.extractJobs(status, run.photos.length);
    const workerErrors = supervisor.processes.flatMap((entry) =>
      entry.logs(
        (line) =>
          (line.msg === 'worker error' || line.msg === 'job failed') &&
          Date.parse(String(line.time)) >= runStarted,
      ),
    );
    t.diagnostic(
      `first extract job completed ${progressed - upAt} ms after Redis came back; pipeline done ${Date.now() - upAt} ms after; ` +
        `${unavailable} status polls failed${lastError === undefined ? '' : ` (last: ${lastError})`}; ` +
        `extract attempts: ${jobs.map((job) => job.attempts).join(',')}; worker errors / failed attempts logged: ${workerErrors.length} ` +
        `${[...new Set(workerErrors.map((line) => `${line.msg}: ${String(line.err)}`))].join(' | ')}`,
    );
    supervisor.assertNoneDied();
    // The API answers again.
    assert.equal((await fetch(`${client.baseUrl}/readyz`)).status, 200);
  });
});

it('c. the S3 server down for 3 s during extraction: workers pause and retry, and the pipeline completes', {
  timeout: 600_000,
}, async (t) => {
  const outage = (s3 as TestS3).outage;
  if (outage === undefined) {
    t.skip(
      `the S3 server (${(s3 as TestS3).source}) cannot be stopped and restarted by the test; needs a container or s3rver`,
    );
    return;
  }
  const supervisor = roles as RoleSupervisor;
  await supervisor.diagnose(async () => {
    const run = await startRun('fault-s3', 50);
    await waitForExtractCompletions(run, 2);
    const before = extractCompletions(run).length;
    const downAt = Date.now();
    await outage.down();
    const readyz = await fetch(`${client.baseUrl}/readyz`, { signal: AbortSignal.timeout(10_000) });
    const readyzBody = await readyz.text();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, OUTAGE_MS - (Date.now() - downAt))));
    // Down until an extractor has met the outage (at most a minute): on busy cores a job can spend
    // longer than the outage in face detection without touching storage at all.
    await pollUntil(
      () =>
        extractors().some(
          (extractor) => extractor.logs((line) => line.msg === 'storage unreachable: pausing').length > 0,
        )
          ? true
          : undefined,
      60_000,
      'an extractor to find storage unreachable',
    ).catch(() => undefined);
    await outage.up();
    const upAt = Date.now();
    t.diagnostic(
      `S3 down after ${before} extract jobs, back after ${upAt - downAt} ms; /readyz meanwhile: ${readyz.status} ${readyzBody}`,
    );
    assert.equal(readyz.status, 503);
    assert.match(readyzBody, /storage/);

    const { status } = await finishRun(t, run);
    const jobs = await client.extractJobs(status, run.photos.length);
    assert.equal(jobs.length, run.photos.length);
    const retried = jobs.filter((job) => job.attempts > 1);
    const failures = extractors().flatMap((extractor) =>
      extractor.logs((line) => line.msg === 'job failed' && String(line.jobId).startsWith(run.extractPrefix)),
    );
    const pauses = extractors().flatMap((extractor) =>
      extractor.logs((line) => line.msg === 'storage unreachable: pausing'),
    );
    t.diagnostic(
      `pipeline done ${Date.now() - upAt} ms after S3 came back; attempts per extract job: ` +
        `${jobs.map((job) => job.attempts).join(',')} (${retried.length} retried); ${failures.length} failed attempts logged: ` +
        `${[...new Set(failures.map((line) => String(line.err)))].join(' | ')}`,
    );
    // An unreachable store pauses the queue and hands the job back without using up an attempt, so an
    // outage of any length costs no job its retries.
    assert.ok(pauses.length >= 1, 'an extractor paused while storage was unreachable');
    assert.equal(failures.length, 0, 'no attempt was used up by the outage');
    for (const job of jobs) assert.ok(job.attempts <= job.maxAttempts);
    supervisor.assertNoneDied();
  });
});

it('d. SIGTERM of the trainer mid-training: exits within the grace period, the job still finishes', {
  timeout: 600_000,
}, async (t) => {
  const supervisor = roles as RoleSupervisor;
  await supervisor.diagnose(async () => {
    // Small batches and no early stop: many short steps, long enough to outlast the grace period.
    const run = await startRun('fault-sigterm', 55, { epochs: 100, patience: 100, batchSize: 4 });
    const trainId = run.pipeline.stages.find((stage) => stage.name === 'train')?.jobIds[0] ?? '';
    const trainer = supervisor.running('trainer')[0] as RoleProcess;
    const progress = await pollUntil(
      async () => {
        const job = await client.job('train', trainId);
        const epoch = typeof job?.progress === 'object' ? Number(job.progress.epoch) : 0;
        return job?.state === 'active' && epoch >= 2 ? job.progress : undefined;
      },
      PIPELINE_TIMEOUT_MS,
      'training to pass its second epoch',
      100,
    );
    const exit = await trainer.terminate();
    const finishedFirst = trainer.logs(
      (line) => line.msg === 'job completed' && line.jobId === trainId,
    ).length;
    const handedBack = trainer.logs(
      (line) => line.msg === 'grace period over: leaving active jobs to stalled-job recovery',
    );
    t.diagnostic(
      `SIGTERM at ${JSON.stringify(progress)}: ${trainer.name} exited with code ${exit.code} after ${exit.ms} ms ` +
        `(SHUTDOWN_GRACE_MS=${GRACE_MS}); ${finishedFirst ? 'the job finished before it exited' : `job handed back (${handedBack.length} log line)`}`,
    );
    assert.equal(exit.code, 0, trainer.tail());
    assert.equal(exit.signal, null);
    assert.ok(exit.ms < GRACE_MS + 2_500, `exit took ${exit.ms} ms with a ${GRACE_MS} ms grace period`);

    const replacement = await supervisor.start('trainer', { name: 'trainer-b' });
    const startedAt = Date.now();
    const { status } = await finishRun(t, run);
    const train = status.stages.find((stage) => stage.name === 'train');
    if (finishedFirst === 0) {
      assert.equal(handedBack.length, 1, 'the trainer said it handed the job back');
      const resumed = replacement.logs(
        (line) => line.msg === 'resuming from checkpoint' && line.jobId === trainId,
      );
      assert.equal(
        replacement.logs((line) => line.msg === 'job completed' && line.jobId === trainId).length,
        1,
        'the replacement trainer completed the job',
      );
      t.diagnostic(
        `replacement trainer ${resumed.length > 0 ? `resumed from the checkpoint of epoch ${resumed[0]?.epoch}` : 'started over'}; ` +
          `pipeline done ${Date.now() - startedAt} ms after it started; train result ${JSON.stringify(train?.result)}`,
      );
    }
    const card = (await client.expect(200, 'GET', `/v1/models/${run.pipeline.modelId}`)).card as {
      history: { epoch: number; fold?: number }[];
    };
    // Per training run (each cross-validation fold, then the shipped model): epochs 1, 2, … once each.
    const runs = new Map<number, number[]>();
    for (const entry of card.history)
      runs.set(entry.fold ?? 0, [...(runs.get(entry.fold ?? 0) ?? []), entry.epoch]);
    for (const [fold, epochs] of runs)
      assert.deepEqual(
        epochs,
        Array.from({ length: epochs.length }, (_, index) => index + 1),
        `fold ${fold}: one history entry per epoch, none twice`,
      );
  });
});
