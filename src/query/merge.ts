/**
 * The k-way merge: each shard is a stream of documents in query order,
 * fetched a batch at a time after the last position it returned; the merge
 * repeatedly takes the least head. A shard is asked for its next batch only
 * when its buffer runs dry, so a query that needs ten documents reads about
 * ten per shard, and a stream sends documents as soon as every shard's head
 * is known.
 */
import type { StoredDocument } from "../storage/types.js";
import { compareCursors, cursorOf, type OrderKey, type QueryCursor } from "./order.js";

/** Fetches a shard's next batch after `after`. */
export type FetchBatch = (after: QueryCursor | null, limit: number) => Promise<{ documents: StoredDocument[]; hasMore: boolean }>;

/** One shard's stream. */
export interface MergeSource {
  readonly fetch: FetchBatch;
  /** The first position, or null for the start. */
  readonly after: QueryCursor | null;
}

interface Head {
  readonly source: MergeSource;
  buffer: StoredDocument[];
  position: number;
  after: QueryCursor | null;
  more: boolean;
}

/** Batch sizes: the first, and the most any later batch may grow to. */
export interface BatchSizes {
  readonly first: number;
  readonly max: number;
}

/** Merges the sources in `order`, yielding documents one at a time. */
export async function* mergeSources(sources: readonly MergeSource[], order: readonly OrderKey[], sizes: BatchSizes): AsyncGenerator<StoredDocument> {
  const heads: Head[] = sources.map((source) => ({ source, buffer: [], position: 0, after: source.after, more: true }));
  let batch = sizes.first;
  const refill = async (h: Head, size: number): Promise<void> => {
    const page = await h.source.fetch(h.after, size);
    h.buffer = page.documents;
    h.position = 0;
    h.more = page.hasMore && page.documents.length > 0;
    const last = page.documents[page.documents.length - 1];
    if (last !== undefined) h.after = cursorOf(last, order);
  };
  await Promise.all(heads.map((h) => refill(h, batch)));
  const keys = new Map<StoredDocument, QueryCursor>();
  const keyOf = (d: StoredDocument): QueryCursor => {
    let k = keys.get(d);
    if (k === undefined) keys.set(d, (k = cursorOf(d, order)));
    return k;
  };
  for (;;) {
    // Refill drained heads that may hold more (together, so shards work in parallel).
    const dry = heads.filter((h) => h.position >= h.buffer.length && h.more);
    if (dry.length > 0) {
      batch = Math.min(batch * 2, sizes.max);
      await Promise.all(dry.map((h) => refill(h, batch)));
      continue;
    }
    let best: Head | null = null;
    for (const h of heads) {
      if (h.position >= h.buffer.length) continue;
      if (best === null || compareCursors(keyOf(h.buffer[h.position]!), keyOf(best.buffer[best.position]!), order) < 0) best = h;
    }
    if (best === null) return;
    const doc = best.buffer[best.position++]!;
    keys.delete(doc);
    yield doc;
  }
}
