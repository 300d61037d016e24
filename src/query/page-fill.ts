/**
 * Filling one page from a merged, ordered stream of results: the loop the
 * query, text search and geo executors share. It skips `skip` results (the
 * query's offset, on a first page), keeps up to `want`, and stops early
 * when the page's encoded documents would pass `pageBytes.max` (a page
 * always holds at least one result, so a walk always moves on).
 */
import type { StoredDocument } from "../storage/types.js";

/** A page's byte budget: the most encoded bytes, and how to size a document. */
export interface PageBytes {
  readonly max: number;
  readonly sizeOf: (doc: StoredDocument) => number;
}

/** What {@link fillPage} took, and whether more results follow it. */
export interface FilledPage<T> {
  readonly items: T[];
  /** True when a result past the page was seen (or the byte budget cut it). */
  readonly more: boolean;
}

/**
 * Reads `source` until the page is full. `docOf` gives the stored document
 * of a result (for the byte budget). `want` 0 reads nothing.
 */
export async function fillPage<T>(source: AsyncIterable<T>, skip: number, want: number, pageBytes: PageBytes | undefined, docOf: (item: T) => StoredDocument): Promise<FilledPage<T>> {
  const items: T[] = [];
  if (want <= 0) return { items, more: false };
  let seen = 0;
  let bytes = 0;
  for await (const item of source) {
    if (++seen <= skip) continue;
    if (items.length === want) return { items, more: true };
    if (pageBytes !== undefined) {
      const size = pageBytes.sizeOf(docOf(item));
      if (items.length > 0 && bytes + size > pageBytes.max) return { items, more: true };
      bytes += size;
    }
    items.push(item);
  }
  return { items, more: false };
}
