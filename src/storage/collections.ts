/**
 * A shard's view of whole collections: which ones it holds, with their
 * document counts (the `collection_stats` table, kept by triggers; see
 * schema.ts), and deleting a collection's documents a bounded step at a
 * time. The Worker merges the shards' answers (services/collections.ts).
 */
import { NOT_MOVED_SQL } from "../routing/moved.js";
import { DELETE_COLLECTION_BATCH_SIZE_MAX, COLLECTIONS_PAGE_SIZE_MAX } from "../limits.js";
import { recordCollectionDeletes } from "../watch/change-log.js";
import { archiveRange, takeTimestamp } from "../sync/snapshot-store.js";
import { anyLocks, lockHolders, writeIntentHoldersInCollection } from "../sync/lockManager.js";
import { checkCollection } from "../validation/refs.js";
import type { ShardCollectionsPage, ShardDeleteStep } from "./types.js";

/** Up to `limit` of the shard's non-empty collections named after `afterName` (from the start when null). */
export function listShardCollections(sql: SqlStorage, afterName: string | null, limit: number, excludeMoved = false): ShardCollectionsPage {
  assert(limit > 0 && limit <= COLLECTIONS_PAGE_SIZE_MAX, "collections page within COLLECTIONS_PAGE_SIZE_MAX");
  // One row more than asked tells whether the shard has more. A source
  // releasing its moved rows (excludeMoved) counts only the rows it still
  // owns: its moved rows, still here, are each in moving_keys (their
  // targets count them), and a collection all of whose rows moved is not
  // its to list.
  const counted = excludeMoved
    ? "(SELECT s.collection AS collection, s.document_count - (SELECT count(*) FROM moving_keys AS m WHERE m.collection = s.collection) AS document_count FROM collection_stats AS s)"
    : "collection_stats";
  const owned = excludeMoved ? "document_count > 0" : "1";
  const rows = (
    afterName === null
      ? sql.exec<{ collection: string; document_count: number }>(
          `SELECT collection, document_count FROM ${counted} WHERE ${owned} ORDER BY collection LIMIT ?`, limit + 1)
      : sql.exec<{ collection: string; document_count: number }>(
          `SELECT collection, document_count FROM ${counted} WHERE ${owned} AND collection > ? ORDER BY collection LIMIT ?`, afterName, limit + 1)
  ).toArray();
  const collections = rows.slice(0, limit).map((r) => ({ name: r.collection, documentCount: r.document_count }));
  return { collections, hasMore: rows.length > limit };
}

/**
 * Deletes up to `limit` documents of `collection`, the first in id order,
 * in one SQLite transaction. The delete is a range of the primary key
 * (collection, id), so no other collection's rows are read or touched.
 * When a transaction holds any lock on one of those documents, or a write
 * intent anywhere in the collection, nothing is deleted and the answer is
 * Blocked, as for any write; the Worker settles those transactions and
 * asks again.
 */
export function deleteCollectionStep(storage: DurableObjectStorage, collection: string, limit: number, nowMs: number, excludeMoved = false): ShardDeleteStep {
  assert(limit > 0 && limit <= DELETE_COLLECTION_BATCH_SIZE_MAX, "delete step within DELETE_COLLECTION_BATCH_SIZE_MAX");
  assert(checkCollection(collection) === null, "collection name checked by the Worker");
  const sql = storage.sql;
  // A source releasing its moved rows deletes only the rows it still owns:
  // the moved ones are its targets' to delete (and to log), and the release
  // removes them here, unlogged.
  const owned = excludeMoved ? NOT_MOVED_SQL : "1";
  return storage.transactionSync((): ShardDeleteStep => {
    const ids = sql
      .exec<{ id: string }>(`SELECT id FROM documents WHERE collection = ? AND ${owned} ORDER BY id LIMIT ?`, collection, limit + 1)
      .toArray()
      .map((r) => r.id);
    const batch = ids.slice(0, limit);
    if (anyLocks(sql)) {
      // Write intents anywhere in the collection block too, also on ids
      // with no row yet: a prepared transaction that creates a document
      // would otherwise bring it back after the delete says done.
      const holders = new Set<string>(writeIntentHoldersInCollection(sql, collection));
      for (const id of batch) for (const tx of lockHolders(sql, { collection, id }, "any")) holders.add(tx);
      if (holders.size > 0) return { ok: false, kind: "aborted", message: "documents are locked by transactions in progress", blockedBy: [...holders] };
    }
    if (batch.length === 0) return { ok: true, deleted: 0, more: false };
    const last = batch[batch.length - 1]!;
    // Listeners see each deleted document removed (watch/change-log.ts).
    const ts = takeTimestamp(sql, nowMs);
    recordCollectionDeletes(sql, collection, last, ts, owned);
    // Snapshot reads still find them at earlier snapshots (sync/snapshot-store.ts).
    archiveRange(sql, collection, last, ts, owned);
    const cursor = sql.exec(`DELETE FROM documents WHERE collection = ? AND id <= ? AND ${owned}`, collection, last);
    cursor.toArray();
    // rowsWritten also counts the rows the triggers and indexes write.
    assert(cursor.rowsWritten >= batch.length, "the step deletes the documents it selected");
    return { ok: true, deleted: batch.length, more: ids.length > limit };
  });
}

function assert(condition: boolean, invariant: string): asserts condition {
  if (!condition) throw new Error(`invariant broken: ${invariant}`);
}
