/**
 * A search index's life on one shard: create (catalog row, tables, queue
 * the collection's documents, first backfill step), further backfill steps
 * until nothing of the collection is queued (then `ready`), and drop. The
 * Worker drives them on every shard (services/search-admin.ts). Each
 * function runs inside the shard's `transactionSync`.
 */
import type { Failure } from "../errors.js";
import { failure } from "../errors.js";
import { SEARCH_BACKFILL_ROWS_PER_CALL_MAX } from "./limits.js";
import {
  deleteSearchIndexRow,
  hasPending,
  insertSearchIndex,
  markSearchIndexReady,
  queueCollection,
  readSearchIndex,
  sameSpec,
  type SearchIndexSpec,
  type SearchShardState,
  type SearchSql,
} from "./catalog.js";
import { maintainCollection } from "./search-maintenance.js";
import { createTextTables, dropTextTables } from "./text-index.js";
import { createGeoTables, dropGeoTables } from "./geo-index.js";

/** A shard's answer to a create or backfill step. */
export type SearchIndexStep = { readonly ok: true; readonly state: SearchShardState; readonly indexed: number } | Failure;

/**
 * Creates the index on this shard, or continues its backfill when the same
 * definition is there already (so CreateSearchIndex may be retried).
 * ALREADY_EXISTS when the collection has a different search index.
 */
export function createShardSearchIndex(sql: SearchSql, spec: SearchIndexSpec): SearchIndexStep {
  const existing = readSearchIndex(sql, spec.collection);
  if (existing !== null && !sameSpec(existing.spec, spec)) {
    return failure("already_exists", `collection ${spec.collection} already has a search index with another definition; delete it first (DeleteSearchIndex)`);
  }
  if (existing === null) {
    insertSearchIndex(sql, spec);
    createTextTables(sql, spec);
    // The geo part's extension point (geo-index.ts).
    createGeoTables(sql, spec);
    queueCollection(sql, spec.collection);
  }
  return backfillShardSearchIndex(sql, spec.collection);
}

/** One backfill step: indexes up to SEARCH_BACKFILL_ROWS_PER_CALL_MAX queued documents; `ready` when none remain. */
export function backfillShardSearchIndex(sql: SearchSql, collection: string): SearchIndexStep {
  const current = readSearchIndex(sql, collection);
  if (current === null) return failure("not_found", `collection ${collection} has no search index`);
  const step = maintainCollection(sql, collection, SEARCH_BACKFILL_ROWS_PER_CALL_MAX);
  if (current.state === "creating" && !hasPending(sql, collection)) markSearchIndexReady(sql, collection);
  return { ok: true, state: readSearchIndex(sql, collection)!.state, indexed: step.indexed };
}

/** Drops the collection's search index from this shard; true when it existed. */
export function dropShardSearchIndex(sql: SearchSql, collection: string): boolean {
  if (readSearchIndex(sql, collection) === null) return false;
  dropTextTables(sql, collection);
  dropGeoTables(sql, collection);
  deleteSearchIndexRow(sql, collection);
  return true;
}
