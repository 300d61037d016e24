/**
 * The Worker's k-way merge of the shards' scored pages, in (score desc, id
 * asc) order: each shard is asked for a batch after the last position it
 * returned, and again only when its buffer runs dry, batches doubling up to
 * a maximum (as query/merge.ts does for ordered queries).
 */
import type { StoredDocument } from "../storage/types.js";
import { compareHits, type SearchCursor } from "./shard-search.js";

/** A scored document. */
export interface ScoredDocument {
  readonly doc: StoredDocument;
  readonly score: number;
  /** With a geo condition, the distance from the near center in meters (0 for within). */
  readonly distanceMeters?: number;
}

/** Fetches a shard's next batch after `after`. */
export type FetchScored = (after: SearchCursor | null, limit: number) => Promise<{ documents: StoredDocument[]; scores: number[]; distances?: number[]; hasMore: boolean }>;

/** Merges the shards' scored streams. */
export async function* mergeScored(fetchers: readonly FetchScored[], after: SearchCursor | null, first: number, max: number): AsyncGenerator<ScoredDocument> {
  const heads = fetchers.map((fetch) => ({ fetch, buffer: [] as ScoredDocument[], position: 0, after, more: true }));
  let batch = first;
  const refill = async (h: (typeof heads)[number], size: number): Promise<void> => {
    const page = await h.fetch(h.after, size);
    h.buffer = page.documents.map((doc, i) => ({ doc, score: page.scores[i]!, ...(page.distances === undefined ? {} : { distanceMeters: page.distances[i]! }) }));
    h.position = 0;
    h.more = page.hasMore && page.documents.length > 0;
    const last = h.buffer[h.buffer.length - 1];
    if (last !== undefined) h.after = { score: last.score, id: last.doc.id };
  };
  await Promise.all(heads.map((h) => refill(h, batch)));
  for (;;) {
    const dry = heads.filter((h) => h.position >= h.buffer.length && h.more);
    if (dry.length > 0) {
      batch = Math.min(batch * 2, max);
      await Promise.all(dry.map((h) => refill(h, batch)));
      continue;
    }
    let best: (typeof heads)[number] | null = null;
    for (const h of heads) {
      if (h.position >= h.buffer.length) continue;
      if (best === null) {
        best = h;
        continue;
      }
      const a = h.buffer[h.position]!;
      const b = best.buffer[best.position]!;
      if (compareHits({ score: a.score, id: a.doc.id }, { score: b.score, id: b.doc.id }) < 0) best = h;
    }
    if (best === null) return;
    yield best.buffer[best.position++]!;
  }
}
