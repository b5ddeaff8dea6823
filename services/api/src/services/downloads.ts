// Download requests (URLs or name searches, from POST /v1/datasets/:id/downloads and the pipelines) as
// download job sources: one job per URL, one per name search.
import type { PayloadOf } from '@faceshot/core/queues/definitions';
import { identityOr400 } from '../identity-name.js';
import { DEFAULT_SEARCH_LIMIT, type DownloadQuery, type DownloadUrl } from '../request-schemas.js';

export interface RequestedDownload {
  identity: string;
  url?: string;
  query?: string;
  source: PayloadOf<'download'>['source'];
}

/** URLs first, then searches; a bad identity is a 400 before anything is queued. */
export function requestedDownloads(request: {
  items?: readonly DownloadUrl[];
  queries?: readonly DownloadQuery[];
}): RequestedDownload[] {
  const requested: RequestedDownload[] = [
    ...(request.items ?? []).map((item) => ({
      identity: identityOr400(item.identity),
      url: item.url,
      source: { kind: 'url' as const, url: item.url },
    })),
    ...(request.queries ?? []).map((query) => ({
      identity: identityOr400(query.identity),
      query: query.query,
      source: { kind: 'search' as const, query: query.query, limit: query.limit ?? DEFAULT_SEARCH_LIMIT },
    })),
  ];
  return requested;
}
