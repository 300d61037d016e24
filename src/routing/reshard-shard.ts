/**
 * A shard's part in a live resharding, as synchronous SQL steps the shard
 * runs inside `transactionSync` (src/objects/StorageObject.ts calls them; the
 * shard manager drives them: resharding-driver.ts). The protocol and its
 * invariants are in src/routing/README.md, "Live resharding".
 *
 * Source side: `exportPage` (copy), `changedSince` (catch up), `fence`
 * (cutover starts), `releasePage` (the moved rows leave). Target side:
 * `stageRows`, `promote` (cutover ends), `discard` (cancel). Every step is
 * idempotent, so the shard manager may repeat any of them after a crash.
 */
import { MOVED_ROWS_PER_RELEASE_MAX, RESHARD_SCAN_ROWS_MAX } from "./limits.js";
import type { RoutingTable, ShardRouter } from "./router.js";
import { readShardEpoch, writeShardEpoch, type ShardEpoch } from "./shard-epoch.js";
import type { RowCursor } from "./resharding-plan.js";

export type { RowCursor } from "./resharding-plan.js";

/** A document row as stored, every column, as it travels between shards. */
export interface MovingRow extends Record<string, SqlStorageValue> {
  collection: string;
  id: string;
  data: string;
  version: number;
  create_time_ms: number;
  update_time_ms: number;
  size_bytes: number;
  num_keys: string | null;
  commit_ts: number;
}

/** A document's state for one target: its row, or null when it was deleted. */
export interface MovingChange {
  readonly target: string;
  readonly collection: string;
  readonly id: string;
  readonly row: MovingRow | null;
}


/** One page of a copy. */
export interface ExportPage {
  /** Moving rows in the page, each with the shard it moves to. */
  readonly changes: MovingChange[];
  /** Where the next page starts, or null when the walk is over. */
  readonly next: RowCursor | null;
  /** The change log's head when the page was read: catching up from the first page's head replays everything after it. */
  readonly headSeq: number;
  /** Rows looked at (moving or not). */
  readonly scanned: number;
}

const COLUMNS = "collection, id, data, version, create_time_ms, update_time_ms, size_bytes, num_keys, commit_ts";

/** The change log's head: the last position given (0 when none). */
function changeHead(sql: SqlStorage): number {
  return sql.exec<{ seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'change_log'").toArray()[0]?.seq ?? 0;
}

/**
 * The next page of this shard's documents after `after` (from the start when
 * null) that move under `target`: at most RESHARD_SCAN_ROWS_MAX rows looked
 * at and `bytesMax` bytes of moving rows (at least one row).
 */
export function exportPage(sql: SqlStorage, self: string, target: ShardRouter, after: RowCursor | null, bytesMax: number): ExportPage {
  const rows = (
    after === null
      ? sql.exec<MovingRow>(`SELECT ${COLUMNS} FROM documents ORDER BY collection, id LIMIT ?`, RESHARD_SCAN_ROWS_MAX)
      : sql.exec<MovingRow>(
          `SELECT ${COLUMNS} FROM documents WHERE (collection, id) > (?, ?) ORDER BY collection, id LIMIT ?`,
          after.collection, after.id, RESHARD_SCAN_ROWS_MAX,
        )
  ).toArray();
  const changes: MovingChange[] = [];
  let bytes = 0;
  let scanned = 0;
  for (const row of rows) {
    scanned++;
    const to = target.shardFor(row.collection, row.id);
    if (to !== self) {
      changes.push({ target: to, collection: row.collection, id: row.id, row });
      bytes += row.size_bytes + row.collection.length + row.id.length;
      if (bytes >= bytesMax) break;
    }
  }
  const last = rows[scanned - 1];
  const done = rows.length < RESHARD_SCAN_ROWS_MAX && scanned === rows.length;
  return { changes, next: done || last === undefined ? null : { collection: last.collection, id: last.id }, headSeq: changeHead(sql), scanned };
}

/** What a catch-up read found. */
export type ChangedSince =
  | { readonly ok: true; readonly changes: MovingChange[]; readonly throughSeq: number; readonly logged: number; readonly complete: boolean }
  | { readonly ok: false; readonly trimmed: true };

/**
 * The current state of every moving document changed after log position
 * `afterSeq`, reading at most `rowsMax` log rows: the rows are read from
 * `documents` now (not from the log's images), so applying them is exact
 * and idempotent. `throughSeq` is the last position read. Fails when the
 * log no longer holds every change after `afterSeq` (the copy must start
 * again).
 */
export function changedSince(sql: SqlStorage, self: string, target: ShardRouter, afterSeq: number, rowsMax: number): ChangedSince {
  const trimmedThrough = sql.exec<{ t: number }>("SELECT trimmed_through AS t FROM change_log_state WHERE singleton = 1").one().t;
  if (afterSeq < trimmedThrough) return { ok: false, trimmed: true };
  const logged = sql
    .exec<{ seq: number; collection: string; id: string }>("SELECT seq, collection, id FROM change_log WHERE seq > ? ORDER BY seq LIMIT ?", afterSeq, rowsMax)
    .toArray();
  const seen = new Set<string>();
  const changes: MovingChange[] = [];
  for (const { collection, id } of logged) {
    const to = target.shardFor(collection, id);
    const key = `${collection.length}:${collection}/${id}`;
    if (to === self || seen.has(key)) continue;
    seen.add(key);
    const row = sql.exec<MovingRow>(`SELECT ${COLUMNS} FROM documents WHERE collection = ? AND id = ?`, collection, id).toArray()[0] ?? null;
    changes.push({ target: to, collection, id, row });
  }
  const complete = logged.length < rowsMax;
  const throughSeq = logged.length === 0 ? Math.max(afterSeq, changeHead(sql)) : logged[logged.length - 1]!.seq;
  return { ok: true, changes, throughSeq, logged: logged.length, complete };
}

/** The outcome of a fence. */
export type FenceOutcome =
  | {
      readonly ok: true;
      readonly headSeq: number;
      readonly lastTs: number;
      readonly maxReadTs: number;
      /** The moving rows changed after the caller's applied position, read in the same step (the drain's first page). */
      readonly drained: Extract<ChangedSince, { ok: true }>;
    }
  | { readonly ok: false; readonly lockedKeys: number };

/**
 * Starts the cutover on a source: stamps the shard with the target table,
 * so every request naming a key that moves is refused from now on (no new
 * lock or write on one can begin) and queries wait until the release. Then,
 * if transactions still hold locks on moving keys, answers not ok: they
 * resolve by their deadlines (their decisions still apply here and reach
 * the change log), and the caller asks again. Once none is left, returns
 * the log head (every change of a moving key is at or below it) and the
 * clock the targets must pass, with the first page of the drain: the
 * moving rows changed after `appliedSeq` (at most `rowsMax` log rows), so
 * the cutover needs no separate round trip for it. Idempotent.
 */
export function fence(sql: SqlStorage, current: ShardEpoch, target: RoutingTable, targetRouter: ShardRouter, appliedSeq: number, rowsMax: number): FenceOutcome {
  if (current.epoch !== target.version) {
    writeShardEpoch(sql, { shardId: current.shardId, epoch: target.version, table: target, queriesOpen: false, cutoverTs: current.cutoverTs });
  }
  const locked = sql.exec<{ collection: string; id: string }>("SELECT DISTINCT collection, id FROM tx_intents").toArray();
  const lockedKeys = locked.filter((k) => targetRouter.shardFor(k.collection, k.id) !== current.shardId).length;
  if (lockedKeys > 0) return { ok: false, lockedKeys };
  const clock = sql.exec<{ last_ts: number; max_read_ts: number }>("SELECT last_ts, max_read_ts FROM shard_clock WHERE singleton = 1").one();
  const drained = changedSince(sql, current.shardId, targetRouter, appliedSeq, rowsMax);
  // The catch-up read the log minutes ago at most; retention is hours.
  if (!drained.ok) throw new Error(`invariant broken: the change log was trimmed past position ${appliedSeq} during the cutover`);
  return { ok: true, headSeq: changeHead(sql), lastTs: clock.last_ts, maxReadTs: clock.max_read_ts, drained };
}

/**
 * Removes up to MOVED_ROWS_PER_RELEASE_MAX rows this shard no longer owns
 * (documents and their history), scanning at most RESHARD_SCAN_ROWS_MAX
 * rows from `after`. When the walk is over, opens the shard's queries.
 * Deleting moved rows is not a user's delete: nothing is logged.
 */
export function releasePage(sql: SqlStorage, router: ShardRouter, after: RowCursor | null): { next: RowCursor | null; removed: number } {
  const stamp = readShardEpoch(sql);
  if (stamp === null) throw new Error("invariant broken: release on a shard that was never stamped");
  if (stamp.queriesOpen) return { next: null, removed: 0 };
  const rows = (
    after === null
      ? sql.exec<{ collection: string; id: string }>("SELECT collection, id FROM documents ORDER BY collection, id LIMIT ?", RESHARD_SCAN_ROWS_MAX)
      : sql.exec<{ collection: string; id: string }>("SELECT collection, id FROM documents WHERE (collection, id) > (?, ?) ORDER BY collection, id LIMIT ?", after.collection, after.id, RESHARD_SCAN_ROWS_MAX)
  ).toArray();
  let removed = 0;
  let scanned = 0;
  for (const row of rows) {
    scanned++;
    if (router.shardFor(row.collection, row.id) !== stamp.shardId) {
      sql.exec("DELETE FROM documents WHERE collection = ? AND id = ?", row.collection, row.id);
      sql.exec("DELETE FROM doc_history WHERE collection = ? AND id = ?", row.collection, row.id);
      if (++removed >= MOVED_ROWS_PER_RELEASE_MAX) break;
    }
  }
  const done = rows.length < RESHARD_SCAN_ROWS_MAX && scanned === rows.length;
  if (done) {
    // History rows of moved keys deleted before the move stay until the
    // history trim: a snapshot read of them is refused by ownership anyway.
    writeShardEpoch(sql, { ...stamp, queriesOpen: true });
    return { next: null, removed };
  }
  const last = rows[scanned - 1]!;
  return { next: { collection: last.collection, id: last.id }, removed };
}

/**
 * Stores copied rows on a target: straight into `documents` when the shard
 * serves no query yet (`direct`: a new shard), else into `staged_documents`
 * until promotion. A null row deletes. Idempotent: the latest state wins.
 */
export function stageRows(sql: SqlStorage, changes: ReadonlyArray<Omit<MovingChange, "target">>, direct: boolean): void {
  const table = direct ? "documents" : "staged_documents";
  for (const c of changes) {
    if (c.row === null) {
      sql.exec(`DELETE FROM ${table} WHERE collection = ? AND id = ?`, c.collection, c.id);
      continue;
    }
    const r = c.row;
    sql.exec(
      `INSERT INTO ${table} (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (collection, id) DO UPDATE SET data = excluded.data, version = excluded.version, create_time_ms = excluded.create_time_ms,
         update_time_ms = excluded.update_time_ms, size_bytes = excluded.size_bytes, num_keys = excluded.num_keys, commit_ts = excluded.commit_ts`,
      r.collection, r.id, r.data, r.version, r.create_time_ms, r.update_time_ms, r.size_bytes, r.num_keys, r.commit_ts,
    );
  }
}

/**
 * Ends the cutover on a target: the last drained `changes` are stored, staged rows become documents, the write
 * sequence and the clock pass everything the sources gave (so versions and
 * commit timestamps keep rising per document, and no commit lands at or
 * below a snapshot a source served), and the shard takes the target table
 * with queries open. Snapshot reads older than the cutover are refused from
 * now on: moved documents brought no history. Idempotent.
 */
export function promote(
  sql: SqlStorage,
  current: ShardEpoch,
  target: RoutingTable,
  clock: { lastTs: number; maxReadTs: number },
  changes: ReadonlyArray<Omit<MovingChange, "target">>,
  direct: boolean,
): void {
  // Once promoted the shard serves these keys and may have newer writes:
  // a repeated promote (after a crash) must store nothing.
  if (current.epoch === target.version) return;
  stageRows(sql, changes, direct);
  sql.exec(`INSERT OR REPLACE INTO documents (${COLUMNS}) SELECT ${COLUMNS} FROM staged_documents`);
  sql.exec("DELETE FROM staged_documents");
  sql.exec("UPDATE shard_sequence SET last_version = MAX(last_version, (SELECT COALESCE(MAX(version), 0) FROM documents)) WHERE singleton = 1");
  sql.exec("UPDATE shard_clock SET last_ts = MAX(last_ts, ?), max_read_ts = MAX(max_read_ts, ?) WHERE singleton = 1", clock.lastTs, clock.maxReadTs);
  const after = sql.exec<{ last_ts: number; max_read_ts: number }>("SELECT last_ts, max_read_ts FROM shard_clock WHERE singleton = 1").one();
  writeShardEpoch(sql, { shardId: current.shardId, epoch: target.version, table: target, queriesOpen: true, cutoverTs: Math.max(after.last_ts, after.max_read_ts) + 1 });
}

/**
 * Undoes a target's part of a cancelled resharding: drops staged rows, and
 * on a new shard (`direct`) every copied document. Idempotent.
 */
export function discard(sql: SqlStorage, direct: boolean): void {
  sql.exec("DELETE FROM staged_documents");
  if (direct) {
    sql.exec("DELETE FROM documents");
    sql.exec("DELETE FROM doc_history");
  }
}
