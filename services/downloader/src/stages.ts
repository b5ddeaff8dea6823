import type { StageFactory } from '@faceshot/core/runtime';
import { AddressGuard } from './address-guard.js';
import { createDownloadStage } from './download-stage.js';
import { HostLimiter } from './host-limiter.js';
import { SafeFetcher } from './safe-fetch.js';
import { WikimediaCommonsSearch } from './search/wikimedia-commons.js';

/** The downloader role consumes the download queue. */
export const downloaderStages: StageFactory = (runtime) => {
  const { config } = runtime;
  const fetcher = new SafeFetcher({
    guard: new AddressGuard(config.download.allowCidrs),
    connectTimeoutMs: config.download.connectTimeoutMs,
    totalTimeoutMs: config.download.totalTimeoutMs,
    maxRedirects: config.download.maxRedirects,
    maxBytes: config.limits.imageMaxBytes,
    userAgent: config.download.userAgent,
    tempDir: config.tempDir,
  });
  const processor = createDownloadStage({
    store: runtime.store,
    datasets: runtime.datasets,
    fetcher,
    limiter: new HostLimiter(config.download.perHostConcurrency, config.download.perHostIntervalMs),
    search: new WikimediaCommonsSearch(config.download.wikimediaApiUrl, fetcher),
    maxPixels: config.limits.imageMaxPixels,
    searchItemRetries: 2,
    retryDelayMs: config.jobs.backoffMs,
  });
  return [{ queue: 'download', processor, concurrency: config.download.concurrency }];
};
