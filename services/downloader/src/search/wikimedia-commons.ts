// Wikimedia Commons full-text search over the File namespace (a public API without keys; needs the
// internet). We ask for a scaled thumbnail URL so a download is a few hundred kB, not the original.
import type { SafeFetcher } from '../safe-fetch.js';
import { DownloadError } from '../safe-fetch.js';
import type { ImageSearchProvider, ImageSearchResult } from './image-search-provider.js';

const PAGE_SIZE = 50; // the API's gsrlimit maximum for anonymous clients
const ACCEPTED_MIME = new Set(['image/jpeg', 'image/png', 'image/webp']);
export const THUMBNAIL_WIDTH = 1024;

interface CommonsImageInfo {
  url?: string;
  thumburl?: string;
  mime?: string;
}
interface CommonsPage {
  title?: string;
  index?: number;
  imageinfo?: CommonsImageInfo[];
}
interface CommonsResponse {
  query?: { pages?: CommonsPage[] };
  continue?: { gsroffset?: number };
  error?: { info?: string };
}

export class WikimediaCommonsSearch implements ImageSearchProvider {
  readonly name = 'wikimedia-commons';

  constructor(
    private readonly apiUrl: string,
    private readonly fetcher: SafeFetcher,
  ) {}

  private pageUrl(query: string, offset: number, size: number): string {
    const url = new URL(this.apiUrl);
    const params: Record<string, string> = {
      action: 'query',
      format: 'json',
      formatversion: '2',
      generator: 'search',
      gsrsearch: `${query} filetype:bitmap`,
      gsrnamespace: '6',
      gsrlimit: String(size),
      gsroffset: String(offset),
      prop: 'imageinfo',
      iiprop: 'url|mime',
      iiurlwidth: String(THUMBNAIL_WIDTH),
    };
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    return url.href;
  }

  async search(query: string, limit: number): Promise<ImageSearchResult[]> {
    const results: ImageSearchResult[] = [];
    let offset: number | undefined = 0;
    while (offset !== undefined && results.length < limit) {
      const body = (await this.fetcher.fetchJson(this.pageUrl(query, offset, PAGE_SIZE))) as CommonsResponse;
      if (body.error !== undefined)
        throw new DownloadError(`Wikimedia Commons: ${body.error.info ?? 'error'}`, false);
      const pages = [...(body.query?.pages ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
      for (const page of pages) {
        const info = page.imageinfo?.[0];
        const url = info?.thumburl ?? info?.url;
        if (url === undefined || !ACCEPTED_MIME.has(info?.mime ?? '')) continue;
        results.push({ url, title: page.title ?? url });
        if (results.length >= limit) break;
      }
      offset = body.continue?.gsroffset;
    }
    return results;
  }
}
