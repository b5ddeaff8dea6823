// Prometheus metrics at /metrics: queue depths read on scrape, job durations from the queues' events
// (a job run by a worker shows up), and HTTP request durations by route pattern.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ApiStack, startApiStack } from './support/api-stack.js';
import { call } from './support/gateway.js';

async function scrape(baseUrl: string): Promise<string> {
  const response = await call(`${baseUrl}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.contentType, /^text\/plain; version=0\.0\.4/);
  return response.text;
}

describe('/metrics', () => {
  let stack: ApiStack;
  before(async () => {
    stack = await startApiStack(
      'gateway-metrics',
      {},
      {
        extractor: () => [
          {
            queue: 'curate',
            processor: async () => {
              await new Promise((resolve) => setTimeout(resolve, 30));
              return { identities: 1, kept: 1, rejected: 0 };
            },
          },
        ],
      },
    );
  });
  after(async () => {
    await stack.stop();
  });

  it('shows queue depths per queue and state, read from Redis on each scrape', async () => {
    await stack.runtime.queues.queue('train').pause();
    await stack.runtime.queues.enqueue('train', {
      modelId: 'model_m1',
      pairsId: 'pairs_p1',
      architecture: 'seed',
      hyperparameters: {},
    });
    const text = await scrape(stack.baseUrl);
    assert.match(text, /^# TYPE faceshot_queue_depth gauge$/m);
    assert.match(text, /^faceshot_queue_depth\{queue="train",state="paused"\} 1$/m);
    assert.match(text, /^faceshot_queue_depth\{queue="extract",state="waiting"\} 0$/m);
  });

  it('shows the HTTP duration histogram by method, route pattern and status after a request', async () => {
    await call(`${stack.baseUrl}/v1/jobs/extract/no-such-job`);
    const text = await scrape(stack.baseUrl);
    assert.match(text, /^# TYPE faceshot_http_request_duration_seconds histogram$/m);
    assert.match(
      text,
      /^faceshot_http_request_duration_seconds_count\{method="GET",route="\/v1\/jobs\/:queue\/:id",status_code="404"\} 1$/m,
    );
    assert.match(
      text,
      /^faceshot_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/v1\/jobs/m,
    );
    assert.match(text, /^process_cpu_seconds_total /m);
  });

  it('times the jobs a worker runs', async () => {
    const id = await stack.runtime.queues.enqueue('curate', { datasetId: 'ds_metrics', keepPerIdentity: 5 });
    const series = /^faceshot_job_duration_seconds_count\{queue="curate",outcome="completed"\} 1$/m;
    const deadline = Date.now() + 10_000;
    let text = '';
    while (Date.now() < deadline) {
      text = await scrape(stack.baseUrl);
      if (series.test(text)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.match(text, series, `job ${id} was not timed`);
    const sum = Number(
      /^faceshot_job_duration_seconds_sum\{queue="curate",outcome="completed"\} (\S+)$/m.exec(text)?.[1],
    );
    assert.ok(sum >= 0.02 && sum < 5, `duration ${sum} s`);
  });
});
