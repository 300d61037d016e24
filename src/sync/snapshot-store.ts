/**
 * Multi-version storage for snapshot reads. Every document row carries the
 * commit timestamp of the write that made it (`commit_ts`); when a write
 * replaces or deletes a row, the old row moves to `doc_history` with its
 * validity interval [valid_from_ts, valid_to_ts). A read at snapshot T
 * returns the row valid at T: the current one when its commit_ts <= T,
 * else the history row whose interval holds T, else nothing.
 *
 * History is kept for SNAPSHOT_HISTORY_RETENTION_MS after a row was
 * superseded (longer than any transaction lives) and trimmed by the shard's
 * alarm.
 */
import { HISTORY_TRIM_ROWS_PER_ALARM_MAX, SNAPSHOT_HISTORY_RETENTION_MS } from "../limits.js";
import type { ShardReadOutcome, StoredDocument } from "../storage/types.js";
import { failure, type Failure } from "../errors.js";
import { anyLocks, writeIntentsAtOrBefore } from "./lockManager.js";
import { MICROS_PER_MS, type ClockState } from "./hybrid-clock.js";
import { DOCUMENT_ROW_COLUMNS, documentOfRow, type DocumentRow } from "../storage/document-row.js";

export { SNAPSHOT_MIGRATIONS } from "./snapshot-schema.js";

/** The shard's clock as stored. */
export function clockState(sql: SqlStorage): ClockState {
  const row = sql.exec<{ last_ts: number; max_read_ts: number }>("SELECT last_ts, max_read_ts FROM shard_clock WHERE singleton = 1").one();
  return { lastTs: row.last_ts, maxReadTs: row.max_read_ts };
}

/**
 * Takes the next commit timestamp (and records it as the last one given):
 * hybrid-clock.ts's `nextTimestamp`, computed by the one statement that
 * records it (every write takes one, so a statement fewer per write).
 */
export function takeTimestamp(sql: SqlStorage, nowMs: number): number {
  const ts = sql
    .exec<{ ts: number }>(
      "UPDATE shard_clock SET last_ts = MAX(?, last_ts + 1, max_read_ts + 1) WHERE singleton = 1 RETURNING last_ts AS ts",
      Math.floor(nowMs) * MICROS_PER_MS,
    )
    .one().ts;
  if (!Number.isSafeInteger(ts)) throw new Error(`invariant broken: timestamp ${ts} is not a safe integer`);
  return ts;
}

/** Moves the clock past a timestamp decided elsewhere (a coordinator's commit timestamp). */
export function observeTimestamp(sql: SqlStorage, ts: number): void {
  sql.exec("UPDATE shard_clock SET last_ts = MAX(last_ts, ?) WHERE singleton = 1", ts);
}

/**
 * Records that a snapshot at `snapshotTs` was read here, so every later
 * commit on this shard takes a larger timestamp. Written only when it
 * raises the mark, so repeated reads of one snapshot cost no write.
 */
export function raiseReadMark(sql: SqlStorage, snapshotTs: number): void {
  if (clockState(sql).maxReadTs < snapshotTs) sql.exec("UPDATE shard_clock SET max_read_ts = ? WHERE singleton = 1", snapshotTs);
}

/**
 * Keeps the row of `collection/id` as it is before a write at `ts`
 * replaces or deletes it. Nothing to keep when the document does not
 * exist.
 */
export function archiveCurrent(sql: SqlStorage, collection: string, id: string, ts: number): void {
  sql.exec(
    `INSERT OR REPLACE INTO doc_history (collection, id, valid_from_ts, valid_to_ts, data, version, create_time_ms, update_time_ms)
     SELECT collection, id, commit_ts, ?, data, version, create_time_ms, update_time_ms FROM documents WHERE collection = ? AND id = ?`,
    ts, collection, id,
  );
}

/**
 * archiveCurrent for many documents in ONE statement (a plain batch's), the
 * refs passed as one JSON parameter so the statement's text never varies.
 * The refs must be distinct.
 */
export function archiveMany(sql: SqlStorage, refs: ReadonlyArray<{ collection: string; id: string }>, ts: number): void {
  if (refs.length === 0) return;
  sql.exec(
    `INSERT OR REPLACE INTO doc_history (collection, id, valid_from_ts, valid_to_ts, data, version, create_time_ms, update_time_ms)
     SELECT d.collection, d.id, d.commit_ts, ?1, d.data, d.version, d.create_time_ms, d.update_time_ms
     FROM json_each(?2) r JOIN documents d ON d.collection = json_extract(r.value, '$[0]') AND d.id = json_extract(r.value, '$[1]')`,
    ts, JSON.stringify(refs.map((r) => [r.collection, r.id])),
  );
}

/** Keeps the rows of `collection` with ids up to `lastId` (and matching `where`, SQL over `documents`, a constant of ours) as they are before a delete at `ts` (a delete-collection step). */
export function archiveRange(sql: SqlStorage, collection: string, lastId: string, ts: number, where = "1"): void {
  sql.exec(
    `INSERT OR REPLACE INTO doc_history (collection, id, valid_from_ts, valid_to_ts, data, version, create_time_ms, update_time_ms)
     SELECT collection, id, commit_ts, ?, data, version, create_time_ms, update_time_ms FROM documents WHERE collection = ? AND id <= ? AND (${where})`,
    ts, collection, lastId,
  );
}

/** The version of one document visible at `snapshotTs`, or null. */
export function readVersionAt(sql: SqlStorage, ref: { collection: string; id: string }, snapshotTs: number): StoredDocument | null {
  const current = sql
    .exec<DocumentRow>(
      "SELECT collection, id, data, version, create_time_ms, update_time_ms FROM documents WHERE collection = ? AND id = ? AND commit_ts <= ?",
      ref.collection, ref.id, snapshotTs,
    )
    .toArray()[0];
  const row =
    current ??
    sql
      .exec<DocumentRow>(
        `SELECT collection, id, data, version, create_time_ms, update_time_ms FROM doc_history
         WHERE collection = ? AND id = ? AND valid_from_ts <= ? AND valid_to_ts > ?`,
        ref.collection, ref.id, snapshotTs, snapshotTs,
      )
      .toArray()[0];
  return row === undefined ? null : documentOfRow(row);
}

/**
 * Version `version` of one document: its current row when that is the
 * version, else the history row that held it; null when neither does (the
 * history was trimmed, the document moved in by a resharding without its
 * history, or it never had that version). A page token's anchor uses it to
 * recover the sort key a page ended on after the document changed
 * (src/query/page-state.ts).
 */
export function readVersion(sql: SqlStorage, ref: { collection: string; id: string }, version: number): StoredDocument | null {
  const row =
    sql.exec<DocumentRow>(`SELECT ${DOCUMENT_ROW_COLUMNS} FROM documents WHERE collection = ? AND id = ? AND version = ?`, ref.collection, ref.id, version).toArray()[0] ??
    sql.exec<DocumentRow>(`SELECT ${DOCUMENT_ROW_COLUMNS} FROM doc_history WHERE collection = ? AND id = ? AND version = ?`, ref.collection, ref.id, version).toArray()[0];
  return row === undefined ? null : documentOfRow(row);
}

/** The oldest snapshot (in microseconds) this shard can still serve at `nowMs`. */
export function oldestReadableTs(nowMs: number): number {
  return (nowMs - SNAPSHOT_HISTORY_RETENTION_MS) * MICROS_PER_MS;
}

/** Drops history no snapshot can ask for any more, at most HISTORY_TRIM_ROWS_PER_ALARM_MAX rows. */
export function trimHistory(sql: SqlStorage, nowMs: number): void {
  sql.exec(
    `DELETE FROM doc_history WHERE (collection, id, valid_to_ts) IN
       (SELECT collection, id, valid_to_ts FROM doc_history WHERE valid_to_ts < ? ORDER BY valid_to_ts LIMIT ?)`,
    oldestReadableTs(nowMs), HISTORY_TRIM_ROWS_PER_ALARM_MAX,
  );
}

/** When the oldest history row may be trimmed, in ms, or null when there is none. */
export function nextHistoryTrimMs(sql: SqlStorage): number | null {
  const t = sql.exec<{ t: number | null }>("SELECT MIN(valid_to_ts) AS t FROM doc_history").one().t;
  return t === null ? null : Math.ceil(t / MICROS_PER_MS) + SNAPSHOT_HISTORY_RETENTION_MS;
}

/**
 * Reads documents as they were at `snapshotTs`. First raises the shard's
 * read mark to the snapshot, so no commit from now on can land at or below
 * it; then, if a prepared transaction that may still commit at or below the
 * snapshot holds a write intent on one of the documents, answers Blocked
 * (the Worker resolves it and asks again; the set of such transactions only
 * shrinks). Intents proposed above the snapshot are ignored: whatever they
 * become is invisible at it.
 */
export function readSnapshot(
  storage: DurableObjectStorage,
  refs: ReadonlyArray<{ collection: string; id: string }>,
  snapshotTs: number,
  nowMs: number,
): ShardReadOutcome | Failure {
  return storage.transactionSync((): ShardReadOutcome | Failure => {
    const sql = storage.sql;
    if (snapshotTs < oldestReadableTs(nowMs)) {
      return failure("failed_precondition", "the transaction's snapshot is older than the history shards keep; begin a new transaction");
    }
    raiseReadMark(sql, snapshotTs);
    const blockedBy = new Set<string>();
    if (anyLocks(sql)) for (const ref of refs) for (const tx of writeIntentsAtOrBefore(sql, ref, snapshotTs)) blockedBy.add(tx);
    if (blockedBy.size > 0) {
      return { ok: false, kind: "aborted", message: "documents are locked by transactions that may commit inside the snapshot", blockedBy: [...blockedBy] };
    }
    return { ok: true, documents: refs.map((ref) => readVersionAt(sql, ref, snapshotTs)) };
  });
}
