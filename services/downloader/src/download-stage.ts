// The download stage: one URL, or one name search whose results are downloaded one by one.
import type { DatasetRepository, ImageSource } from '@faceshot/core/datasets/dataset-repository';
import { ingestSpooledImage } from '@faceshot/core/datasets/ingest-image';
import type { PayloadOf, ResultOf } from '@faceshot/core/queues/definitions';
import { PermanentJobError } from '@faceshot/core/queues/permanent-job-error';
import type { StageContext } from '@faceshot/core/queues/stage-worker';
import type { ObjectStore } from '@faceshot/core/storage/object-store';
import type { HostLimiter } from './host-limiter.js';
import { DownloadError, type SafeFetcher } from './safe-fetch.js';
import type { ImageSearchProvider } from './search/image-search-provider.js';

export interface DownloadStageDependencies {
  store: ObjectStore;
  datasets: DatasetRepository;
  fetcher: SafeFetcher;
  limiter: HostLimiter;
  search: ImageSearchProvider;
  maxPixels: number;
  /** Retries of one URL inside a search job (a URL job is retried by the queue instead). */
  searchItemRetries: number;
  retryDelayMs: number;
}

type Item = ResultOf<'download'>['items'][number];

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** Downloads and ingests one URL; throws DownloadError (with `transient`) when it cannot. */
async function downloadOne(
  deps: DownloadStageDependencies,
  datasetId: string,
  identity: string,
  url: string,
  source: ImageSource,
): Promise<Item> {
  const file = await deps.limiter.run(hostOf(url), () => deps.fetcher.fetchToTempFile(url));
  try {
    const outcome = await ingestSpooledImage(
      { store: deps.store, datasets: deps.datasets, maxPixels: deps.maxPixels },
      { datasetId, identity, file, source },
    );
    if (outcome.outcome === 'rejected') throw new DownloadError(outcome.reason, false);
    return { url, outcome: outcome.outcome, key: outcome.key };
  } finally {
    await file.discard();
  }
}

export function createDownloadStage(deps: DownloadStageDependencies) {
  return async (payload: PayloadOf<'download'>, context: StageContext): Promise<ResultOf<'download'>> => {
    const { datasetId, identity, source } = payload;
    if ((await deps.datasets.get(datasetId)) === undefined) {
      throw new PermanentJobError(`dataset "${datasetId}" does not exist (deleted?)`);
    }
    if (source.kind === 'url') {
      try {
        const item = await downloadOne(deps, datasetId, identity, source.url, {
          kind: 'url',
          url: source.url,
        });
        await context.progress(100);
        return { items: [item] };
      } catch (error) {
        // A URL job is one item: its failure is the job's, retried by the queue only if transient.
        if (error instanceof DownloadError && !error.transient) throw new PermanentJobError(error.message);
        throw error;
      }
    }
    let found: Awaited<ReturnType<ImageSearchProvider['search']>>;
    try {
      found = await deps.search.search(source.query, source.limit);
    } catch (error) {
      if (error instanceof DownloadError && !error.transient) {
        throw new PermanentJobError(`search failed: ${error.message}`);
      }
      throw error;
    }
    context.log.info({ provider: deps.search.name, found: found.length }, 'search results');
    const items: Item[] = [];
    for (const [index, result] of found.entries()) {
      const itemSource: ImageSource = { kind: 'url', url: result.url, query: source.query };
      for (let attempt = 0; ; attempt++) {
        try {
          items.push(await downloadOne(deps, datasetId, identity, result.url, itemSource));
          break;
        } catch (error) {
          if (!(error instanceof DownloadError)) throw error;
          if (!error.transient || attempt >= deps.searchItemRetries) {
            items.push({ url: result.url, outcome: 'failed', reason: error.message });
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, deps.retryDelayMs * 2 ** attempt));
        }
      }
      await context.progress({
        done: index + 1,
        total: found.length,
        percent: Math.round(((index + 1) / found.length) * 100),
      });
    }
    return { items };
  };
}
