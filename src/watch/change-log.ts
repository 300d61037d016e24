/**
 * A shard's change log: one row per applied write, inserted by the same
 * statement sequence (inside the same SQLite transaction) that changes the
 * document, so the log holds exactly the committed writes: no event can be
 * lost, and none invented by a write that rolled back.
 *
 * Each row keeps the document's contents before and after the write, so a
 * listener can tell "entered the query", "changed inside it" and "left it"
 * from the row alone, with no state of its own (as DynamoDB Streams'
 * NEW_AND_OLD_IMAGES view). Positions are the row's `seq`, which only grows
 * (AUTOINCREMENT: never reused, not even after a trim removed the newest
 * rows). Retention is by time and by bytes; the trim point is recorded, so a
 * listener asking for positions below it is told, never silently skipped.
 *
 * Free of Workers types: Node tests build the same tables.
 */
import type { Migration } from "../storage/schema.js";
import { CHANGE_LOG_TRIM_ROWS_PER_ALARM_MAX, CHANGE_ROW_INLINE_BYTES_MAX } from "../limits.js";
import type { ChangeRow } from "./feed-types.js";
import { BATCH_ROWS_SOURCE_SQL, type BatchRun } from "../storage/batch-rows.js";

export type { ChangeRow } from "./feed-types.js";

/** The change log's tables, the "changes" component of a shard's schema. */
export const CHANGE_LOG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "change log with before and after images, and its trim point",
    statements: [
      `CREATE TABLE change_log (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         collection TEXT NOT NULL,
         id TEXT NOT NULL,
         op TEXT NOT NULL CHECK (op IN ('put', 'delete')),
         -- After the write: the document's JSON and version; null for a delete.
         data TEXT,
         version INTEGER,
         create_time_ms INTEGER,
         -- Before the write; null when the document did not exist.
         before_data TEXT,
         before_version INTEGER,
         before_create_time_ms INTEGER,
         before_update_time_ms INTEGER,
         commit_ts INTEGER NOT NULL,
         -- The transaction that made the write; null for a plain write or batch.
         tx_id TEXT,
         -- JSON array of the shards holding this transaction's writes to this
         -- collection, when there are two or more; a listener delivers them together.
         group_shards TEXT,
         bytes INTEGER NOT NULL
       )`,
      "CREATE INDEX change_log_by_collection ON change_log (collection, seq)",
      `CREATE TABLE change_log_state (
         singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
         trimmed_through INTEGER NOT NULL,
         bytes INTEGER NOT NULL
       )`,
      "INSERT INTO change_log_state (singleton, trimmed_through, bytes) VALUES (1, 0, 0)",
    ],
  },
  {
    version: 2,
    description: "before images held outside the change row when the row would pass the platform's row size",
    statements: [
      // 1 when the row's before image is in change_log_before (its before_data is then null).
      "ALTER TABLE change_log ADD COLUMN before_held INTEGER NOT NULL DEFAULT 0",
      "CREATE TABLE change_log_before (seq INTEGER PRIMARY KEY, data TEXT NOT NULL)",
    ],
  },
];

/** Who made a write, for its change row. */
export interface ChangeOrigin {
  /** The transaction id; null for a plain write or batch. */
  readonly txId: string | null;
  /** The shards with this transaction's writes to the same collection, when two or more; else null. */
  readonly groupShards: readonly string[] | null;
}

/** A plain write's origin. */
export const PLAIN_WRITE: ChangeOrigin = { txId: null, groupShards: null };

/** One write as the change log records it: `json` is the new contents (null for a delete). */
export interface ChangeEntry {
  readonly collection: string;
  readonly id: string;
  readonly json: string | null;
  /** UTF-8 bytes of `json` (0 for a delete); when unknown, 3 per UTF-16 unit is assumed. */
  readonly bytes?: number;
  readonly version: number | null;
  readonly createTimeMs: number | null;
  readonly commitTs: number;
}

/**
 * Records one write in the log. Must run BEFORE the write changes the
 * document's row, in the same SQLite transaction: it reads the row as the
 * before image.
 */
export function recordChange(sql: SqlStorage, change: ChangeEntry, origin: ChangeOrigin): void {
  addLoggedBytes(sql, insertChangeRow(sql, change, origin));
}

/**
 * Inserts one write's change row (as recordChange, with the same ordering
 * rule) and returns the bytes it counts, WITHOUT adding them to the log's
 * running total: a batch adds its rows' bytes once, with addLoggedBytes,
 * before its SQLite transaction ends (the total is only read by the trim,
 * which runs in the alarm, never inside a write).
 */
export function insertChangeRow(sql: SqlStorage, change: ChangeEntry, origin: ChangeOrigin): number {
  const group = origin.groupShards === null ? null : JSON.stringify(origin.groupShards);
  const row = sql
    .exec<{ bytes: number; seq: number; before_held: number }>(
      `INSERT INTO change_log (collection, id, op, data, version, create_time_ms, before_data, before_version, before_create_time_ms, before_update_time_ms, commit_ts, tx_id, group_shards, bytes, before_held)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN d.size_bytes + ?10 > ?11 THEN NULL ELSE d.data END, d.version, d.create_time_ms, d.update_time_ms, ?7, ?8, ?9,
              200 + length(?1) + length(?2) + COALESCE(length(?4), 0) + COALESCE(length(d.data), 0) + COALESCE(length(?9), 0),
              COALESCE(d.size_bytes + ?10 > ?11, 0)
       FROM (SELECT 1) LEFT JOIN documents d ON d.collection = ?1 AND d.id = ?2
       RETURNING bytes, seq, before_held`,
      change.collection, change.id, change.json === null ? "delete" : "put", change.json, change.version, change.createTimeMs,
      change.commitTs, origin.txId, group, afterBytes(change), CHANGE_ROW_INLINE_BYTES_MAX,
    )
    .one();
  if (row.before_held === 1) holdBeforeFromRow(sql, row.seq, change.collection, change.id);
  return row.bytes;
}

/** UTF-8 bytes of a change's after image: given, or at most 3 per UTF-16 unit. */
function afterBytes(change: ChangeEntry): number {
  return change.bytes ?? (change.json === null ? 0 : change.json.length * 3);
}

/**
 * Keeps the before image of change row `seq` in change_log_before, copied
 * from the document's row (not changed yet: the change row is written
 * before the write).
 */
function holdBeforeFromRow(sql: SqlStorage, seq: number, collection: string, id: string): void {
  sql.exec("INSERT INTO change_log_before (seq, data) SELECT ?, data FROM documents WHERE collection = ? AND id = ?", seq, collection, id);
}

/** A document's row before a write, as the change log keeps it (null columns: no row). */
export interface ChangeBefore {
  readonly data: string;
  readonly version: number;
  readonly create_time_ms: number;
  readonly update_time_ms: number;
}

/**
 * insertChangeRow with the before image given (`before`: the document's
 * row as the caller read it in this same SQLite transaction, nothing
 * changed since; null when it has none) rather than read again by the
 * statement: the same row, the same bytes, one read of the document fewer
 * on every plain write.
 */
export function insertChangeRowWithBefore(sql: SqlStorage, change: ChangeEntry, origin: ChangeOrigin, before: ChangeBefore | null): number {
  const group = origin.groupShards === null ? null : JSON.stringify(origin.groupShards);
  // Held outside the row when both images together could pass the row size (3 bytes per UTF-16 unit at most).
  const held = before !== null && afterBytes(change) + before.data.length * 3 > CHANGE_ROW_INLINE_BYTES_MAX;
  const row = sql
    .exec<{ bytes: number; seq: number }>(
      `INSERT INTO change_log (collection, id, op, data, version, create_time_ms, before_data, before_version, before_create_time_ms, before_update_time_ms, commit_ts, tx_id, group_shards, bytes, before_held)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?10, ?11, ?12, ?13, ?7, ?8, ?9,
               200 + length(?1) + length(?2) + COALESCE(length(?4), 0) + COALESCE(length(?10), 0) + COALESCE(length(?9), 0), ?14)
       RETURNING bytes, seq`,
      change.collection, change.id, change.json === null ? "delete" : "put", change.json, change.version, change.createTimeMs,
      change.commitTs, origin.txId, group,
      held ? null : (before?.data ?? null), before?.version ?? null, before?.create_time_ms ?? null, before?.update_time_ms ?? null, held ? 1 : 0,
    )
    .one();
  if (!held) return row.bytes;
  // The row counts its before image as if it held it.
  const n = sql.exec<{ n: number }>("INSERT INTO change_log_before (seq, data) VALUES (?, ?) RETURNING length(data) AS n", row.seq, before.data).one().n;
  sql.exec("UPDATE change_log SET bytes = bytes + ? WHERE seq = ?", n, row.seq);
  return row.bytes + n;
}

/**
 * insertChangeRow for a run of a plain batch's writes in ONE statement:
 * the rows go in the run's order, so their seqs are in that order, each
 * with its document's row as the before image. The writes must name
 * distinct documents and none may have changed its row yet. Returns the
 * bytes the rows count, not yet added (addLoggedBytes).
 *
 * The run binds its rows as storage/batch-rows.ts lays them out (a small
 * metadata JSON read by `json_each`, each document's JSON a parameter of
 * its own), so the statement's text is the same for every batch and
 * workerd's statement cache prepares it once.
 */
export function insertChangeRows(sql: SqlStorage, run: BatchRun, commitTs: number, origin: ChangeOrigin): number {
  const group = origin.groupShards === null ? null : JSON.stringify(origin.groupShards);
  let bytes = 0;
  const held: { seq: number; collection: string; id: string }[] = [];
  for (const row of sql.exec<{ bytes: number; seq: number; before_held: number; collection: string; id: string }>(
    `INSERT INTO change_log (collection, id, op, data, version, create_time_ms, before_data, before_version, before_create_time_ms, before_update_time_ms, commit_ts, tx_id, group_shards, bytes, before_held)
     SELECT w.c, w.i, CASE WHEN w.j IS NULL THEN 'delete' ELSE 'put' END, w.j, w.v, w.t, CASE WHEN d.size_bytes + w.b > ?5 THEN NULL ELSE d.data END,
            d.version, d.create_time_ms, d.update_time_ms, ?2, ?3, ?4,
            200 + length(w.c) + length(w.i) + COALESCE(length(w.j), 0) + COALESCE(length(d.data), 0) + COALESCE(length(?4), 0),
            COALESCE(d.size_bytes + w.b > ?5, 0)
     FROM ${BATCH_ROWS_SOURCE_SQL} w
     LEFT JOIN documents d ON d.collection = w.c AND d.id = w.i
     ORDER BY w.k
     RETURNING bytes, seq, before_held, collection, id`,
    ...run.bindings([commitTs, origin.txId, group, CHANGE_ROW_INLINE_BYTES_MAX]),
  )) {
    bytes += row.bytes;
    if (row.before_held === 1) held.push(row);
  }
  // Read after the statement is done: the documents' rows are not changed yet.
  for (const h of held) holdBeforeFromRow(sql, h.seq, h.collection, h.id);
  return bytes;
}

/** The bytes of change rows the log holds now (its running total). */
export function changeLogBytes(sql: SqlStorage): number {
  return sql.exec<{ bytes: number }>("SELECT bytes FROM change_log_state WHERE singleton = 1").one().bytes;
}

/** Adds `bytes` of change rows (insertChangeRow's answers, summed) to the log's running total. */
export function addLoggedBytes(sql: SqlStorage, bytes: number): void {
  if (!(Number.isSafeInteger(bytes) && bytes >= 0)) throw new Error("invariant broken: logged bytes are a whole number");
  if (bytes > 0) sql.exec("UPDATE change_log_state SET bytes = bytes + ? WHERE singleton = 1", bytes);
}

/**
 * Records the deletion of the documents of `collection` with ids up to
 * `lastId` (a delete-collection step), before they are deleted; `where`
 * (SQL over `documents`, a constant of ours, never user text) narrows
 * which (a releasing source's NOT_MOVED_SQL).
 */
export function recordCollectionDeletes(sql: SqlStorage, collection: string, lastId: string, commitTs: number, where = "1"): void {
  const row = sql
    .exec<{ bytes: number | null }>(
      `INSERT INTO change_log (collection, id, op, data, version, create_time_ms, before_data, before_version, before_create_time_ms, before_update_time_ms, commit_ts, tx_id, group_shards, bytes)
       SELECT collection, id, 'delete', NULL, NULL, NULL, data, version, create_time_ms, update_time_ms, ?, NULL, NULL, 200 + length(collection) + length(id) + length(data)
       FROM documents WHERE collection = ? AND id <= ? AND (${where}) ORDER BY id
       RETURNING bytes`,
      commitTs, collection, lastId,
    )
    .toArray()
    .reduce((sum, r) => sum + (r.bytes ?? 0), 0);
  sql.exec("UPDATE change_log_state SET bytes = bytes + ? WHERE singleton = 1", row);
}

/** The log's bounds: every seq <= trimmedThrough is gone; head is the last seq given (0 when none). */
export interface ChangeLogBounds {
  readonly trimmedThrough: number;
  readonly head: number;
}

/** The log's trim point and head. */
export function changeLogBounds(sql: SqlStorage): ChangeLogBounds {
  const state = sql.exec<{ trimmed_through: number }>("SELECT trimmed_through FROM change_log_state WHERE singleton = 1").one();
  const seq = sql.exec<{ seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'change_log'").toArray()[0]?.seq ?? 0;
  return { trimmedThrough: state.trimmed_through, head: seq };
}

/**
 * A change row's before image wherever it is kept (in the row, or in
 * change_log_before when the row would have passed the row size), as SQL
 * over `change_log`.
 */
export const BEFORE_DATA_SQL = "CASE WHEN before_held = 1 THEN (SELECT b.data FROM change_log_before b WHERE b.seq = change_log.seq) ELSE before_data END";

const CHANGE_COLUMNS = `seq, collection, id, op, data, version, create_time_ms, ${BEFORE_DATA_SQL} AS before_data, before_version, before_create_time_ms, before_update_time_ms, commit_ts, tx_id, group_shards`;

/**
 * Up to `rowsMax` changes of `collection` (of one document when `id` is
 * given) after `afterSeq` and at most `throughSeq`, in seq order. A
 * transaction's rows on this shard are never split: when the page ends
 * inside one, the rest of it is read too (a transaction writes at most
 * TX_WRITES_MAX documents), so a listener always sees a shard's part of a
 * transaction whole. `complete` is false when rows after the last one
 * returned may remain (the page was full).
 */
export function readChanges(
  sql: SqlStorage,
  collection: string,
  id: string | null,
  afterSeq: number,
  throughSeq: number,
  rowsMax: number,
): { rows: ChangeRow[]; complete: boolean } {
  const rows =
    id === null
      ? sql
          .exec<ChangeRow>(
            `SELECT ${CHANGE_COLUMNS} FROM change_log WHERE collection = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?`,
            collection, afterSeq, throughSeq, rowsMax + 1,
          )
          .toArray()
      : sql
          .exec<ChangeRow>(
            `SELECT ${CHANGE_COLUMNS} FROM change_log WHERE collection = ? AND seq > ? AND seq <= ? AND id = ? ORDER BY seq LIMIT ?`,
            collection, afterSeq, throughSeq, id, rowsMax + 1,
          )
          .toArray();
  if (rows.length <= rowsMax) return { rows, complete: true };
  rows.length = rowsMax;
  const last = rows[rows.length - 1]!;
  if (last.tx_id !== null && id === null) {
    const rest = sql
      .exec<ChangeRow>(
        `SELECT ${CHANGE_COLUMNS} FROM change_log WHERE collection = ? AND seq > ? AND seq <= ? AND tx_id = ? AND commit_ts = ? ORDER BY seq`,
        collection, last.seq, throughSeq, last.tx_id, last.commit_ts,
      )
      .toArray();
    rows.push(...rest);
  }
  return { rows, complete: false };
}

/** The retention a shard applies: rows older than `retentionMs`, and the oldest rows past `bytesMax`, are trimmed. */
export interface ChangeLogRetention {
  readonly retentionMs: number;
  readonly bytesMax: number;
}

/**
 * Trims the log: rows committed before `nowMs - retentionMs`, then the
 * oldest rows while the log holds more than `bytesMax`; at most
 * CHANGE_LOG_TRIM_ROWS_PER_ALARM_MAX rows per call. Records the trim point.
 * Returns how many rows it removed.
 */
export function trimChangeLog(sql: SqlStorage, nowMs: number, retention: ChangeLogRetention): number {
  const oldestTs = (nowMs - retention.retentionMs) * 1000;
  let total = sql.exec<{ bytes: number }>("SELECT bytes FROM change_log_state WHERE singleton = 1").one().bytes;
  // The trim point must stay a prefix of the log (positions below it are
  // gone, above it present), so rows are walked in seq order and the walk
  // stops at the first row that is still wanted. A row applied late (a
  // transaction committed after its decision) can carry an older commit_ts
  // than rows before it; it waits for them.
  const oldest = sql
    .exec<{ seq: number; bytes: number; commit_ts: number }>("SELECT seq, bytes, commit_ts FROM change_log ORDER BY seq LIMIT ?", CHANGE_LOG_TRIM_ROWS_PER_ALARM_MAX)
    .toArray();
  let through = 0;
  let bytes = 0;
  for (const r of oldest) {
    if (r.commit_ts >= oldestTs && total <= retention.bytesMax) break;
    through = r.seq;
    bytes += r.bytes;
    total -= r.bytes;
  }
  if (through === 0) return 0;
  sql.exec("DELETE FROM change_log_before WHERE seq <= ?", through);
  const cursor = sql.exec("DELETE FROM change_log WHERE seq <= ?", through);
  cursor.toArray();
  sql.exec(
    "UPDATE change_log_state SET trimmed_through = MAX(trimmed_through, ?), bytes = MAX(0, bytes - ?) WHERE singleton = 1",
    through, bytes,
  );
  return cursor.rowsWritten;
}

/** When the oldest row falls out of the retention window (ms), or null when the log is empty. */
export function nextChangeLogTrimMs(sql: SqlStorage, retention: ChangeLogRetention): number | null {
  const state = sql.exec<{ bytes: number }>("SELECT bytes FROM change_log_state WHERE singleton = 1").one();
  const oldest = sql.exec<{ ts: number }>("SELECT commit_ts AS ts FROM change_log ORDER BY seq LIMIT 1").toArray()[0]?.ts ?? null;
  if (oldest === null) return null;
  if (state.bytes > retention.bytesMax) return 0;
  return Math.ceil(oldest / 1000) + retention.retentionMs;
}
