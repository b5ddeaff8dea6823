/** One image found for a name search. */
export interface ImageSearchResult {
  url: string;
  title: string;
}

/** Finds photo URLs for a query (a person's name). Implementations must not download the photos. */
export interface ImageSearchProvider {
  readonly name: string;
  search(query: string, limit: number): Promise<ImageSearchResult[]>;
}
