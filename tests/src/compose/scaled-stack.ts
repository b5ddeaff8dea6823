// `npm run test:compose`: the whole system as docker compose runs it, scaled. Builds the image, starts
// the stack with `--scale extractor=2 --scale predictor=2` (on this machine through
// docker-compose.offline.yml: local images, Ceph RGW for MinIO), imports a small LFW set through the API,
// runs a pipeline to a ready model and identifies held-back photos. Mid-extraction one extractor
// container is killed with SIGKILL; mid-run the Redis container is restarted (AOF on a volume). The
// pipeline must still complete with every photo, both extractors must have taken jobs. Then an ONNX
// model (the tests' generated one) is pushed to the object store with the image's own `faceshot
// onnx-models push`, and the API and both predictors, which mirror the store, list it and answer with
// it, with no shared folder and no restart. `down -v` must leave nothing behind. Wall times of every phase are printed as diagnostics.
// Not part of `npm test` (it needs a container engine and takes ~10-15 minutes); CI runs it as its own step.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { after, it } from 'node:test';
import { freePort } from '@faceshot/core/free-port';
import {
  ComposeStack,
  containerLogLines,
  imageExists,
  type ProjectContainer,
} from '../support/compose-stack.js';
import { describePipeline, E2eClient, samplePeople } from '../support/e2e-api.js';
import { pollUntil } from '../support/poll.js';

const KEY = randomBytes(24).toString('hex');
const PEOPLE = 6;
const PER_PERSON = 5;
const PHOTOS = PEOPLE * PER_PERSON;
/** The extractors' lock: a killed extractor's job is taken over within about two of these. */
const LOCK_MS = 10_000;
/** How often the API and predictors look for ONNX models in the object store. */
const ONNX_SYNC_MS = 2_000;
/** Writes the tests' generated ONNX model in the container, then stores it with the image's CLI. */
const PUSH_TINY_MODEL =
  "node -e \"import('/app/packages/vision/dist/onnx/tiny-onnx-model.js').then((m) => m.writeTinyOnnxModel('/tmp', 'tiny', 'cosine'))\"" +
  ' && node packages/cli/dist/main.js onnx-models push /tmp/tiny';

const stack = new ComposeStack();
let started = false;

after(
  async () => {
    if (!started) return;
    const result = await stack.down();
    if (result.code !== 0) process.stderr.write(`docker-compose down failed: ${result.stderr}\n`);
  },
  { timeout: 300_000 },
);

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Once a second until `probe` answers; a probe that throws (the stack is not up yet) is asked again. */
function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  return pollUntil(probe, timeoutMs, what, { intervalMs: 1_000, retryErrors: true });
}

/** Completed jobs per container (full name) and queue, from the workers' JSON log lines. */
async function completedJobs(containers: readonly ProjectContainer[]) {
  const byContainer = new Map<string, Map<string, string[]>>();
  for (const container of containers) {
    const perQueue = new Map<string, string[]>();
    for (const text of await containerLogLines(container.id)) {
      if (!text.includes('"job completed"')) continue;
      const line = JSON.parse(text) as Record<string, unknown>;
      const queue = String(line.queue);
      perQueue.set(queue, [...(perQueue.get(queue) ?? []), String(line.jobId)]);
    }
    byContainer.set(container.name, perQueue);
  }
  return byContainer;
}

it('runs the scaled compose stack: pipeline, identification, kill -9 of an extractor, Redis restart, down -v', {
  timeout: 2_400_000,
}, async (t) => {
  const note = (message: string) => t.diagnostic(message);
  const version = await stack.composeRaw(['version', '--short']).catch((error: Error) => ({
    code: -1,
    stdout: '',
    stderr: error.message,
    ms: 0,
  }));
  assert.equal(
    version.code,
    0,
    `docker-compose is not usable (${version.stderr.trim()}): install it, and on this machine run ` +
      '`../shared/tools/containers.sh setup` and `eval "$(../shared/tools/containers.sh env)"`',
  );
  const offline = await imageExists('localhost/faceshot-s3:ceph').catch((error: Error) => {
    throw new Error(
      `no container engine answers at DOCKER_HOST=${process.env.DOCKER_HOST ?? '(unset)'}: ${error.message}`,
    );
  });
  const apiPort = await freePort();
  await stack.prepare({
    offline,
    environment: {
      API_KEYS: `compose-test:write:${KEY}`,
      API_PUBLISHED_PORT: String(apiPort),
      MINIO_CONSOLE_PORT: String(await freePort()),
    },
    // Small and quick: one detection thread per container (two extractors and two predictors share
    // two cores), a short lock so the killed extractor's job is taken over in seconds.
    override: [
      'services:',
      '  extractor:',
      '    environment:',
      `      JOB_LOCK_MS: "${LOCK_MS}"`,
      '      EXTRACT_THREADS: "1"',
      '  predictor:',
      '    environment:',
      '      PREDICT_THREADS: "1"',
      '      PREDICT_TIMEOUT_MS: "120000"',
      `      ONNX_MODELS_SYNC_INTERVAL_MS: "${ONNX_SYNC_MS}"`,
      '  api:',
      '    environment:',
      `      ONNX_MODELS_SYNC_INTERVAL_MS: "${ONNX_SYNC_MS}"`,
      '',
    ].join('\n'),
  });
  note(
    `compose project ${stack.project}; ${offline ? 'docker-compose.offline.yml (local images, Ceph RGW)' : 'docker-compose.yml'}`,
  );

  // 1. Build the image.
  const build = await stack.compose(['build', 'api'], 1_800_000);
  note(`image build: ${seconds(build.ms)}`);

  // 2. Up, scaled, until the API is ready.
  started = true;
  const upStarted = Date.now();
  try {
    await stack.compose(
      ['up', '-d', '--no-build', '--scale', 'extractor=2', '--scale', 'predictor=2'],
      600_000,
    );
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : error}\n${await stack.tail()}`);
  }
  const client = new E2eClient(`http://127.0.0.1:${apiPort}`, KEY);
  try {
    await waitFor('the API to be ready (GET /readyz 200)', 300_000, async () =>
      (await fetch(`${client.baseUrl}/readyz`, { signal: AbortSignal.timeout(5_000) })).status === 200
        ? true
        : undefined,
    );
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : error}\n${await stack.tail()}`);
  }
  const containers = await stack.containers();
  const extractors = containers.filter((container) => container.service === 'extractor');
  const predictors = containers.filter((container) => container.service === 'predictor');
  assert.equal(extractors.length, 2, `two extractor containers: ${JSON.stringify(containers)}`);
  assert.equal(predictors.length, 2, 'two predictor containers');
  note(`up to ready: ${seconds(Date.now() - upStarted)} (${containers.map((c) => c.name).join(', ')})`);

  try {
    // 3. Import a small set through the API.
    const sample = samplePeople('lfw-dev', { count: PEOPLE, perPerson: PER_PERSON, heldBack: 1, offset: 40 });
    const datasetId = await client.createDataset('compose-test');
    const photos = await client.upload(datasetId, sample.upload);
    assert.equal(photos.length, PHOTOS);

    // 4. The pipeline, with an extractor killed and Redis restarted on the way.
    const created = await client.startPipeline(datasetId, {
      hyperparameters: { epochs: 5 },
      pairsPerClass: 100,
      validationShare: 0.25,
      testShare: 0.25,
    });
    const pipelineStarted = Date.now();

    // An extract job in flight in one extractor container, after each has completed one. The
    // engine's log API is read directly (every 300 ms): the compose CLI is too slow to catch a job.
    const jobLines = async (container: ProjectContainer) =>
      (await containerLogLines(container.id)).flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
    const victimDeadline = Date.now() + 600_000;
    let victim: { container: ProjectContainer; jobId: string } | undefined;
    while (victim === undefined) {
      const perContainer = await Promise.all(
        extractors.map(async (container) => ({ container, lines: await jobLines(container) })),
      );
      const completedBy = perContainer.map(({ lines }) =>
        lines.filter((line) => line.msg === 'job completed').map((line) => String(line.jobId)),
      );
      const done = new Set(completedBy.flat());
      // Only once both extractors have completed a job: the kill must not hide whether both took work.
      if (completedBy.every((ids) => ids.length > 0)) {
        for (const { container, lines } of perContainer) {
          const inFlight = lines.filter(
            (line) => line.msg === 'job started' && line.queue === 'extract' && !done.has(String(line.jobId)),
          );
          const last = inFlight.at(-1);
          if (last !== undefined) victim = { container, jobId: String(last.jobId) };
        }
      }
      if (victim !== undefined) break;
      if (done.size >= PHOTOS)
        throw new Error('extraction finished before an extractor could be killed mid-job');
      if (Date.now() > victimDeadline)
        throw new Error(`no extractor container ran an extract job within 600 s\n${await stack.tail()}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    const killedAt = Date.now();
    await stack.kill(victim.container);
    note(
      `kill -9 ${victim.container.name} while it ran extract job ${victim.jobId}, ${seconds(killedAt - pipelineStarted)} into the pipeline`,
    );
    const other = extractors.find((container) => container.id !== victim.container.id) as ProjectContainer;
    const takenOver = await waitFor(
      `extract job ${victim.jobId} to complete after the kill`,
      300_000,
      async () => {
        const lines = await stack.logs(['extractor']);
        return lines.find(
          (line) => line.json?.msg === 'job completed' && String(line.json.jobId) === victim.jobId,
        );
      },
    );
    note(
      `the killed extractor's job ${victim.jobId} completed ${seconds(Date.now() - killedAt)} after the kill, by ${takenOver.container}`,
    );

    // Redis restart (graceful: the AOF is flushed) while the pipeline runs.
    let status = await client.pipeline(created.id);
    assert.equal(
      status.state,
      'running',
      `the pipeline ended before the Redis restart: ${describePipeline(status)}`,
    );
    const restart = await stack.compose(['restart', '-t', '10', 'redis'], 180_000);
    const redisBack = Date.now();
    await waitFor('the API to be ready again after the Redis restart', 120_000, async () =>
      (await fetch(`${client.baseUrl}/readyz`, { signal: AbortSignal.timeout(5_000) })).status === 200
        ? true
        : undefined,
    );
    note(
      `Redis restarted during "${status.stages.find((stage) => !['completed', 'skipped'].includes(stage.state))?.name}" in ${seconds(restart.ms)}; API ready again ${seconds(Date.now() - redisBack)} later`,
    );

    const waited = await client.waitForPipeline(created.id, { timeoutMs: 1_200_000, intervalMs: 2_000 });
    status = waited.status;
    assert.equal(status.state, 'completed', describePipeline(status));
    note(`pipeline: ${seconds(Date.now() - pipelineStarted)} to completed (${describePipeline(status)})`);

    // Nothing lost: every photo extracted once, the dataset whole, the model ready with everyone enrolled.
    const extract = status.stages.find((stage) => stage.name === 'extract');
    assert.equal(extract?.jobs.total, PHOTOS, 'one extract job per photo');
    assert.equal(extract?.jobs.completed, PHOTOS, 'every extract job completed');
    const dataset = (await client.expect(200, 'GET', `/v1/datasets/${datasetId}`)) as {
      totals: { raw: number; faces: number };
    };
    assert.equal(
      dataset.totals.raw,
      PHOTOS,
      `every photo still in the dataset: ${JSON.stringify(dataset.totals)}`,
    );
    assert.ok(
      dataset.totals.faces >= PHOTOS - 2,
      `faces for (nearly) every photo: ${JSON.stringify(dataset.totals)}`,
    );
    const model = await client.expect(200, 'GET', `/v1/models/${status.modelId}`);
    assert.equal(model.status, 'ready');
    assert.equal(model.galleryIdentities, PEOPLE);

    // 5. One-shot identification of photos never uploaded.
    const misses: string[] = [];
    for (const photo of sample.heldBack) {
      const face = await client.identify(status.modelId, photo.file, 3);
      const top = face?.matches.map((match) => match.identity) ?? [];
      if (!top.includes(photo.identity)) misses.push(`${photo.identity}: got ${top.join(', ') || 'no face'}`);
    }
    note(`held-back photos with the right person in the top 3: ${PEOPLE - misses.length} of ${PEOPLE}`);
    assert.deepEqual(misses, [], 'the right person among the top 3');

    // 5b. An ONNX model reaches the running API and predictors through the object store.
    const pushed = await stack.compose(
      // `exec` in the running api container (podman's compose API refuses `run`'s links).
      ['exec', '-T', 'api', 'sh', '-c', PUSH_TINY_MODEL],
      300_000,
    );
    assert.match(pushed.stdout, /onnx-tiny \(onnx-tiny@[0-9a-f]{16}\): 4 objects stored/);
    const pushedAt = Date.now();
    await waitFor('GET /v1/models to list onnx-tiny', 60_000, async () => {
      const list = (await client.expect(200, 'GET', '/v1/models')) as { models: { id: string }[] };
      return list.models.some((entry) => entry.id === 'onnx-tiny') ? true : undefined;
    });
    const [person] = sample.heldBack;
    assert.ok(person);
    const enrolment = new FormData();
    enrolment.append('identity', person.identity);
    enrolment.append(
      'photo',
      await openAsBlob(sample.upload.find((photo) => photo.identity === person.identity)?.file ?? ''),
    );
    // Each predictor mirrors on its own clock: a job on one that has not looked yet fails and is retried.
    await waitFor('an enrolment with onnx-tiny', 60_000, async () =>
      (await client.request('POST', '/v1/models/onnx-tiny/identities', { form: enrolment })).status === 201
        ? true
        : undefined,
    );
    const answer = await client.identify('onnx-tiny', person.file, 1);
    assert.equal(answer?.matches[0]?.identity, person.identity, 'the only enrolled person is the nearest');
    note(
      `ONNX model pushed with the image's CLI in ${seconds(pushed.ms)}; listed, enrolled and identified ${seconds(Date.now() - pushedAt)} later`,
    );

    // 6. Who did what, from the containers' logs: both extractors took extract jobs, and every extract
    // job completed (the killed one's in-flight job exactly once more, by whoever took it over).
    const workers = (await stack.containers()).filter((container) =>
      ['extractor', 'predictor', 'pairs', 'trainer', 'downloader'].includes(container.service),
    );
    const jobs = await completedJobs(workers);
    const table = [...jobs].map(
      ([container, perQueue]) =>
        `${container}: ${[...perQueue].map(([queue, ids]) => `${queue} ${ids.length}`).join(', ') || 'none'}`,
    );
    note(`jobs completed per container: ${table.join('; ')}`);
    for (const extractor of [victim.container, other]) {
      const count = jobs.get(extractor.name)?.get('extract')?.length ?? 0;
      assert.ok(count > 0, `${extractor.name} completed no extract job`);
    }
    const extractIds = new Set(
      [victim.container, other].flatMap((extractor) => jobs.get(extractor.name)?.get('extract') ?? []),
    );
    assert.equal(extractIds.size, PHOTOS, 'every extract job completed by one of the extractors');
  } catch (error) {
    t.diagnostic(`last log lines:\n${await stack.tail()}`);
    throw error;
  }

  // 7. down -v leaves nothing running.
  started = false;
  const down = await stack.down();
  assert.equal(down.code, 0, `docker-compose down failed: ${down.stderr}`);
  const left = await stack.leftovers();
  assert.deepEqual(left, [], 'down -v removed every container, volume and network of the project');
  note(`down -v: ${seconds(down.ms)}; nothing left`);
});
