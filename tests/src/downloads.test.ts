// The downloader against a local server of real lfw-dev photos and every failure a download can meet.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { downloaderStages } from '@faceshot/downloader/stages';
import { type ApiStack, postJson, startApiStack } from './support/api-stack.js';
import { identitiesOf, photosOf } from './support/datasets.js';
import { getJson, waitForJob } from './support/http.js';
import { type PhotoServer, startPhotoServer } from './support/photo-server.js';

/** lfw-dev path of the n-th photo of the n-th identity, as served under /photos/. */
function lfwPhoto(identityIndex: number, photoIndex: number): { identity: string; path: string } {
  const identity = identitiesOf('lfw-dev')[identityIndex] ?? '';
  const file = photosOf('lfw-dev', identity)[photoIndex]?.split('/').pop() ?? '';
  return { identity, path: `lfw-dev/${identity}/${file}` };
}

describe('downloads', () => {
  let allowed: PhotoServer; // on 127.0.0.2, allowlisted
  let internal: PhotoServer; // on 127.0.0.1, not allowlisted
  let stack: ApiStack;
  let datasetId: string;

  before(async () => {
    allowed = await startPhotoServer('127.0.0.2');
    internal = await startPhotoServer('127.0.0.1');
    stack = await startApiStack(
      'downloads',
      {
        DOWNLOAD_ALLOW_CIDRS: '127.0.0.2',
        DOWNLOAD_TIMEOUT_MS: '1500',
        DOWNLOAD_CONNECT_TIMEOUT_MS: '1000',
        DOWNLOAD_PER_HOST_INTERVAL_MS: '0',
        DOWNLOAD_PER_HOST_CONCURRENCY: '4',
        JOB_ATTEMPTS: '3',
        JOB_BACKOFF_MS: '100',
        WIKIMEDIA_API_URL: `${allowed.origin}/w/api.php`,
      },
      { downloader: downloaderStages },
    );
    const created = await postJson(`${stack.baseUrl}/v1/datasets`, { name: 'downloads' });
    assert.equal(created.status, 201);
    datasetId = String(created.body.id);
  });

  after(async () => {
    await stack.stop();
    await allowed.close();
    await internal.close();
  });

  it('stores good photos and fails each bad URL with a clear reason, losing no item', async () => {
    const good = [lfwPhoto(0, 0), lfwPhoto(0, 1), lfwPhoto(1, 0), lfwPhoto(1, 1)];
    const victim = lfwPhoto(2, 0);
    const internalUrl = `${internal.origin}/photos/${victim.path}`;
    const cases: { identity: string; url: string; expect: RegExp | 'stored' | 'duplicate' }[] = [
      ...good.map((photo) => ({
        identity: photo.identity,
        url: `${allowed.origin}/photos/${photo.path}`,
        expect: 'stored' as const,
      })),
      { identity: 'bad', url: `${allowed.origin}/missing.jpg`, expect: /^HTTP 404/ },
      { identity: 'bad', url: `${allowed.origin}/loop-a`, expect: /redirect loop/ },
      { identity: 'bad', url: `${allowed.origin}/slow.jpg`, expect: /no complete answer within 1500 ms/ },
      { identity: 'bad', url: `${allowed.origin}/huge.jpg`, expect: /over the limit of 10485760 bytes/ },
      { identity: 'bad', url: `${allowed.origin}/page.html`, expect: /HTML page/ },
      { identity: 'bad', url: `${allowed.origin}/disguised.jpg`, expect: /file is an HTML page/ },
      {
        identity: 'bad',
        url: `${allowed.origin}/truncated.jpg?photo=${victim.path}`,
        expect: /corrupt or truncated/,
      },
      { identity: 'bad', url: internalUrl, expect: /refused to connect to 127\.0\.0\.1 \(loopback address/ },
      {
        identity: 'bad',
        url: `http://localhost:${internal.port}/photos/${victim.path}`,
        expect: /refused to connect to (127\.0\.0\.1|::1) \(loopback address/,
      },
      {
        identity: 'bad',
        url: `${allowed.origin}/redirect?to=${encodeURIComponent(internalUrl)}`,
        expect: /refused to connect to 127\.0\.0\.1/,
      },
      {
        identity: 'bad',
        url: 'http://169.254.169.254/latest/meta-data/',
        expect: /169\.254\.169\.254 \(linkLocal/,
      },
      {
        identity: victim.identity,
        url: `${allowed.origin}/flaky.jpg?photo=${victim.path}`,
        expect: 'stored',
      },
    ];
    const response = await postJson(`${stack.baseUrl}/v1/datasets/${datasetId}/downloads`, {
      items: cases.map(({ identity, url }) => ({ identity, url })),
    });
    assert.equal(response.status, 202, JSON.stringify(response.body));
    const jobs = response.body.jobs as { jobId: string; url: string }[];
    assert.equal(jobs.length, cases.length);
    const statuses = await Promise.all(
      jobs.map((job) => waitForJob(stack.baseUrl, 'download', job.jobId, 30_000)),
    );
    for (const [index, testCase] of cases.entries()) {
      const status = statuses[index]?.body ?? {};
      if (typeof testCase.expect === 'string') {
        assert.equal(status.state, 'completed', `${testCase.url}: ${String(status.failedReason)}`);
        const items = (status.result as { items: { outcome: string; key: string }[] }).items;
        assert.equal(items[0]?.outcome, testCase.expect, testCase.url);
        assert.ok(await stack.runtime.store.stat(items[0]?.key ?? ''), `${testCase.url} not in storage`);
      } else {
        assert.equal(status.state, 'failed', `${testCase.url} should fail`);
        assert.match(String(status.failedReason), testCase.expect, testCase.url);
      }
    }
    // 4xx and refusals are final; timeouts and 5xx are retried.
    const byUrl = new Map(cases.map((testCase, index) => [testCase.url, statuses[index]?.body ?? {}]));
    assert.equal(byUrl.get(`${allowed.origin}/missing.jpg`)?.attempts, 1);
    assert.equal(allowed.hits.get('/missing.jpg'), 1);
    assert.equal(byUrl.get(`${allowed.origin}/slow.jpg`)?.attempts, 3);
    assert.equal(allowed.hits.get('/flaky.jpg'), 3);
    assert.equal(internal.hits.size, 0, 'the internal server must never be reached');

    const dataset = await getJson(`${stack.baseUrl}/v1/datasets/${datasetId}`);
    const rows = dataset.body.identities as { identity: string; raw: number }[];
    assert.deepEqual(
      rows.map((row) => [row.identity, row.raw]),
      [
        [good[0]?.identity, 2],
        [good[2]?.identity, 2],
        [victim.identity, 1],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
  });

  it('reports the same photo downloaded twice as a duplicate, stored once', async () => {
    const photo = lfwPhoto(3, 0);
    const url = `${allowed.origin}/photos/${photo.path}`;
    const first = await postJson(`${stack.baseUrl}/v1/datasets/${datasetId}/downloads`, {
      items: [{ identity: photo.identity, url }],
    });
    const firstJob = (first.body.jobs as { jobId: string }[])[0]?.jobId ?? '';
    await waitForJob(stack.baseUrl, 'download', firstJob);
    const again = await postJson(`${stack.baseUrl}/v1/datasets/${datasetId}/downloads`, {
      items: [{ identity: photo.identity, url: `${url}?again=1` }],
    });
    const status = await waitForJob(
      stack.baseUrl,
      'download',
      (again.body.jobs as { jobId: string }[])[0]?.jobId ?? '',
    );
    assert.equal((status.body.result as { items: { outcome: string }[] }).items[0]?.outcome, 'duplicate');
    const keys: string[] = [];
    for await (const object of stack.runtime.store.list(`datasets/${datasetId}/raw/${photo.identity}/`))
      keys.push(object.key);
    assert.equal(keys.length, 1);
  });

  it('searches Wikimedia Commons by name and downloads up to the limit', async () => {
    const identity = identitiesOf('lfw-dev')[5] ?? '';
    const photos = photosOf('lfw-dev', identity).map(
      (file) => `lfw-dev/${identity}/${file.split('/').pop()}`,
    );
    allowed.searchResults.set(identity.replaceAll('_', ' '), photos);
    const limit = Math.min(3, photos.length);
    const response = await postJson(`${stack.baseUrl}/v1/datasets/${datasetId}/downloads`, {
      queries: [{ identity, query: identity.replaceAll('_', ' '), limit }],
    });
    assert.equal(response.status, 202);
    const status = await waitForJob(
      stack.baseUrl,
      'download',
      (response.body.jobs as { jobId: string }[])[0]?.jobId ?? '',
    );
    assert.equal(status.body.state, 'completed', String(status.body.failedReason));
    const items = (status.body.result as { items: { outcome: string }[] }).items;
    assert.equal(items.length, limit);
    assert.ok(items.every((item) => item.outcome === 'stored'));
    const request = allowed.searchRequests.at(-1);
    assert.equal(request?.get('generator'), 'search');
    assert.equal(request?.get('gsrnamespace'), '6');
    assert.equal(request?.get('prop'), 'imageinfo');
    assert.equal(request?.get('gsrsearch'), `${identity.replaceAll('_', ' ')} filetype:bitmap`);
  });

  it('rejects bad download requests with problem+json', async () => {
    const missing = await postJson(`${stack.baseUrl}/v1/datasets/ds_nope/downloads`, {
      items: [{ identity: 'x', url: 'http://example.com/a.jpg' }],
    });
    assert.equal(missing.status, 404);
    const badUrl = await postJson(`${stack.baseUrl}/v1/datasets/${datasetId}/downloads`, {
      items: [{ identity: 'x', url: 'file:///etc/passwd' }],
    });
    assert.equal(badUrl.status, 400);
    const badIdentity = await postJson(`${stack.baseUrl}/v1/datasets/${datasetId}/downloads`, {
      items: [{ identity: '../etc', url: 'http://example.com/a.jpg' }],
    });
    assert.equal(badIdentity.status, 400);
    assert.match(String(badIdentity.body.detail), /identity/);
  });
});
