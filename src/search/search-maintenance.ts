/**
 * THE maintenance choke point of search indexes on a shard. Triggers on
 * `documents` (catalog.ts) queue every written document of an indexed
 * collection in `search_pending`, whichever path wrote it; this module
 * indexes queued documents: for each, it reads the current row (or finds
 * it gone) and hands it to the text part (text-index.ts) and the geo part
 * (geo-index.ts), then dequeues it, all in the caller's transaction.
 *
 * It runs (see README.md, "Maintenance"):
 * - after each write path of the shard (StorageObject), at most
 *   SEARCH_MAINTENANCE_ROWS_PER_CALL_MAX documents, so a large batch (a
 *   resharding promotion) never makes one call slow;
 * - in CreateSearchIndex's backfill steps, SEARCH_BACKFILL_ROWS_PER_CALL_MAX
 *   at a time;
 * - in the shard's alarm, SEARCH_MAINTENANCE_ROWS_PER_CALL_MAX at a time,
 *   due again at once while any remain (nextMaintenanceMs), so the queue
 *   drains with no write or search to drive it;
 * - before every search on the shard, for the searched collection, at most
 *   SEARCH_CATCH_UP_ROWS_MAX, so a search always sees every write before it
 *   or answers UNAVAILABLE (catchUp).
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { readSearchIndex, type SearchIndexSpec, type SearchSql } from "./catalog.js";
import { applyText } from "./text-index.js";
import { applyGeo } from "./geo-index.js";
import { markTextChanged } from "./compaction.js";
import { failure, type Failure } from "../errors.js";
import { SEARCH_CATCH_UP_ROWS_MAX } from "./limits.js";

/** What one maintenance step did. */
export interface MaintenanceStep {
  /** Documents indexed (or removed from the index). */
  readonly indexed: number;
  /** True when queued documents remain. */
  readonly more: boolean;
}

/**
 * True when documents are queued for indexing. A write path reads it in
 * its own transaction and calls maintainSearch only then: with no search
 * index on the shard (or nothing written to an indexed collection) the
 * queue is empty and maintenance would do nothing, in a transaction of its
 * own.
 */
export function searchQueued(sql: SearchSql): boolean {
  return sql.exec<{ queued: number }>("SELECT EXISTS (SELECT 1 FROM search_pending) AS queued").toArray()[0]!.queued === 1;
}

/**
 * When the alarm must next index queued documents: 0 (due now) while any
 * are queued, else null. For the shard's nextAttentionMs.
 */
export function nextMaintenanceMs(sql: SearchSql): number | null {
  return searchQueued(sql) ? 0 : null;
}

/**
 * Indexes the queued documents of `collection` before a search answers
 * from its index: all of them when at most SEARCH_CATCH_UP_ROWS_MAX are
 * queued, and otherwise that many and a refusal (UNAVAILABLE: retry; the
 * alarm goes on with the rest). Run it inside the caller's transaction.
 */
export function catchUp(sql: SearchSql, collection: string): Failure | null {
  const step = maintainCollection(sql, collection, SEARCH_CATCH_UP_ROWS_MAX);
  if (!step.more) return null;
  return failure(
    "unavailable",
    `the search index of ${collection} is catching up with documents written to this shard (more than SEARCH_CATCH_UP_ROWS_MAX, ${SEARCH_CATCH_UP_ROWS_MAX}, were queued; the rest are indexed in the background): retry in a moment`,
  );
}

/** Indexes up to `rowsMax` queued documents of any collection. */
export function maintainSearch(sql: SearchSql, rowsMax: number): MaintenanceStep {
  const rows = sql.exec<{ collection: string; id: string }>("SELECT collection, id FROM search_pending ORDER BY collection, id LIMIT ?", rowsMax + 1).toArray();
  return indexRows(sql, rows.slice(0, rowsMax), rows.length > rowsMax);
}

/** Indexes up to `rowsMax` (all when null) queued documents of one collection. */
export function maintainCollection(sql: SearchSql, collection: string, rowsMax: number | null): MaintenanceStep {
  const rows =
    rowsMax === null
      ? sql.exec<{ collection: string; id: string }>("SELECT collection, id FROM search_pending WHERE collection = ? ORDER BY id", collection).toArray()
      : sql.exec<{ collection: string; id: string }>("SELECT collection, id FROM search_pending WHERE collection = ? ORDER BY id LIMIT ?", collection, rowsMax + 1).toArray();
  const batch = rowsMax === null ? rows : rows.slice(0, rowsMax);
  return indexRows(sql, batch, rowsMax !== null && rows.length > rowsMax);
}

function indexRows(sql: SearchSql, rows: ReadonlyArray<{ collection: string; id: string }>, more: boolean): MaintenanceStep {
  const specs = new Map<string, SearchIndexSpec | null>();
  for (const { collection, id } of rows) {
    let spec = specs.get(collection);
    if (spec === undefined) specs.set(collection, (spec = readSearchIndex(sql, collection)?.spec ?? null));
    if (spec !== null) {
      const row = sql.exec<{ data: string }>("SELECT data FROM documents WHERE collection = ? AND id = ?", collection, id).toArray()[0];
      const data = row === undefined ? null : (JSON.parse(row.data) as JsonObject);
      applyDocument(sql, spec, id, data);
    }
    sql.exec("DELETE FROM search_pending WHERE collection = ? AND id = ?", collection, id);
  }
  // Each indexing transaction adds FTS5 segments: compaction waits until the index is at rest (compaction.ts).
  markTextChanged(sql, [...specs].filter(([, spec]) => spec !== null && spec.textFields.length > 0).map(([collection]) => collection), Date.now());
  return { indexed: rows.length, more };
}

/** Brings every part of a search index in step with one document (null: deleted). */
export function applyDocument(sql: SearchSql, spec: SearchIndexSpec, id: string, data: JsonObject | null): void {
  applyText(sql, spec, id, data);
  // The geo part's extension point (geo-index.ts).
  applyGeo(sql, spec, id, data);
}
