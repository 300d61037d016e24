/**
 * The Worker's k-way merge of the shards' geo pages, in (distance, id)
 * order (geo/geo-sql.ts `compareGeoHits`): each shard is asked for a batch
 * after the last position it returned, and again only when its buffer runs
 * dry, batches growing GEO_BATCH_GROWTH times up to a maximum (as
 * query/merge.ts does for ordered queries, which double). A page that
 * needs ten documents reads about ten per shard.
 *
 * Why faster growth than ordered queries: a shard keeps no state between
 * calls, and every geo batch reads the region's whole candidate set again
 * (a nearest-first order cannot be resumed from an index position), so
 * each refill costs the candidates, not only the batch. Growing eightfold,
 * a stream's batches go from 50 documents (STREAM_FIRST_BATCH_ROWS) to
 * 11,001 (SHARD_BATCH_ROWS_MAX) in four calls instead of nine.
 */
import type { StoredDocument } from "../storage/types.js";
import { compareGeoHits, type GeoCursor } from "./geo/geo-sql.js";

/** A document a geo search found, with its distance from the near center (0 for within). */
export interface GeoDocument {
  readonly doc: StoredDocument;
  readonly distanceMeters: number;
}

/** Fetches a shard's next batch after `after`. */
export type FetchGeo = (after: GeoCursor | null, limit: number) => Promise<{ documents: StoredDocument[]; distances: number[]; hasMore: boolean }>;

/** How much each later batch of a shard grows over the one before. */
const GEO_BATCH_GROWTH = 8;

interface Head {
  readonly fetch: FetchGeo;
  buffer: GeoDocument[];
  position: number;
  after: GeoCursor | null;
  more: boolean;
}

/** Merges the shards' geo streams from `after`: the first batch is `first` documents a shard, later ones double up to `max`. */
export async function* mergeGeo(fetchers: readonly FetchGeo[], after: GeoCursor | null, first: number, max: number): AsyncGenerator<GeoDocument> {
  const heads: Head[] = fetchers.map((fetch) => ({ fetch, buffer: [], position: 0, after, more: true }));
  let batch = first;
  const refill = async (h: Head, size: number): Promise<void> => {
    const page = await h.fetch(h.after, size);
    h.buffer = page.documents.map((doc, i) => ({ doc, distanceMeters: page.distances[i]! }));
    h.position = 0;
    h.more = page.hasMore && page.documents.length > 0;
    const last = h.buffer[h.buffer.length - 1];
    if (last !== undefined) h.after = cursorOf(last);
  };
  await Promise.all(heads.map((h) => refill(h, batch)));
  for (;;) {
    const dry = heads.filter((h) => h.position >= h.buffer.length && h.more);
    if (dry.length > 0) {
      batch = Math.min(batch * GEO_BATCH_GROWTH, max);
      await Promise.all(dry.map((h) => refill(h, batch)));
    }
    let best: Head | null = null;
    for (const h of heads) {
      if (h.position >= h.buffer.length) continue;
      if (best === null || compareGeoHits(cursorOf(h.buffer[h.position]!), cursorOf(best.buffer[best.position]!)) < 0) best = h;
    }
    if (best === null) return;
    yield best.buffer[best.position++]!;
  }
}

/** The (distance, id) position of a found document. */
export function cursorOf(hit: GeoDocument): GeoCursor {
  return { distanceMeters: hit.distanceMeters, id: hit.doc.id };
}
