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
import { hash32 } from "./hash.js";
import { MOVED_ROWS_PER_RELEASE_MAX, RESHARD_FENCE_DRAIN_PAGES_MAX, RESHARD_SCAN_ROWS_MAX } from "./limits.js";
import { routingKey, type RoutingTable, type ShardRouter } from "./router.js";
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
 * at and `bytesMax` bytes of moving rows (at least one row). Every moving
 * key is recorded in `moving_keys`; `fresh` (the copy's first page) first
 * forgets the keys of an earlier, cancelled resharding.
 */
export function exportPage(sql: SqlStorage, self: string, target: ShardRouter, after: RowCursor | null, bytesMax: number, fresh: boolean): ExportPage {
  if (fresh) sql.exec("DELETE FROM moving_keys");
  // Keys first: most rows stay, and only the moving ones' data is read.
  const rows = (
    after === null
      ? sql.exec<{ collection: string; id: string }>("SELECT collection, id FROM documents ORDER BY collection, id LIMIT ?", RESHARD_SCAN_ROWS_MAX)
      : sql.exec<{ collection: string; id: string }>(
          "SELECT collection, id FROM documents WHERE (collection, id) > (?, ?) ORDER BY collection, id LIMIT ?",
          after.collection, after.id, RESHARD_SCAN_ROWS_MAX,
        )
  ).toArray();
  const changes: MovingChange[] = [];
  let bytes = 0;
  let scanned = 0;
  for (const key of rows) {
    scanned++;
    const to = target.shardFor(key.collection, key.id);
    if (to === self) continue;
    const row = sql.exec<MovingRow>(`SELECT ${COLUMNS} FROM documents WHERE collection = ? AND id = ?`, key.collection, key.id).one();
    changes.push({ target: to, collection: row.collection, id: row.id, row });
    recordMovingKey(sql, row.collection, row.id);
    bytes += row.size_bytes + row.collection.length + row.id.length;
    if (bytes >= bytesMax) break;
  }
  const last = rows[scanned - 1];
  const done = rows.length < RESHARD_SCAN_ROWS_MAX && scanned === rows.length;
  return { changes, next: done || last === undefined ? null : { collection: last.collection, id: last.id }, headSeq: changeHead(sql), scanned };
}

function recordMovingKey(sql: SqlStorage, collection: string, id: string): void {
  sql.exec("INSERT OR IGNORE INTO moving_keys (collection, id) VALUES (?, ?)", collection, id);
}

/**
 * An order-independent checksum of documents: how many, and the sum mod
 * 2^32 of murmur3 of each one's routing key and version. Versions are never
 * reused, so equal checksums mean the same versions of the same documents
 * (not merely as many of them).
 */
export interface RangeChecksum {
  count: number;
  sum: number;
}

/** Adds one document to a checksum. */
export function addToChecksum(c: RangeChecksum, collection: string, id: string, version: number): void {
  c.count++;
  c.sum = (c.sum + hash32(`${routingKey(collection, id)}@${version}`)) >>> 0;
}

/** The checksum of this source's moving documents, per target (the fence's view: frozen from then on). */
function movingChecksums(sql: SqlStorage, self: string, target: ShardRouter): Record<string, RangeChecksum> {
  const sums: Record<string, RangeChecksum> = {};
  const rows = sql
    .exec<{ collection: string; id: string; version: number }>(
      "SELECT d.collection, d.id, d.version FROM moving_keys m JOIN documents d ON d.collection = m.collection AND d.id = m.id",
    )
    .toArray();
  for (const r of rows) {
    const to = target.shardFor(r.collection, r.id);
    if (to === self) continue;
    addToChecksum((sums[to] ??= { count: 0, sum: 0 }), r.collection, r.id, r.version);
  }
  return sums;
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
    recordMovingKey(sql, collection, id);
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
      /** The moving rows changed after the caller's applied position: the whole drain, read in the same step. */
      readonly drained: MovingChange[];
      /** Per target, the checksum of the documents moving there, as they are at the fence (final). */
      readonly checksums: Record<string, RangeChecksum>;
    }
  | { readonly ok: false; readonly reason: "locked"; readonly lockedKeys: number }
  | { readonly ok: false; readonly reason: "lagging" };

/**
 * Starts the cutover on a source: stamps the shard with the target table,
 * so every request naming a key that moves is refused from now on (no new
 * lock or write on one can begin) and queries wait until the release. Then,
 * if transactions still hold locks on moving keys, answers "locked": they
 * resolve by their deadlines (their decisions still apply here and reach
 * the change log), and the caller asks again. Once none is left, drains:
 * reads every moving row changed after `appliedSeq` (the catch-up keeps
 * that short; past RESHARD_FENCE_DRAIN_PAGES_MAX pages of `rowsMax` log
 * rows it answers "lagging" and the caller catches up first), and returns
 * them with the checksum of every moving document per target and the clock
 * the targets must pass. Moving keys can no longer change, so all of it is
 * final. Idempotent.
 */
export function fence(sql: SqlStorage, current: ShardEpoch, target: RoutingTable, targetRouter: ShardRouter, appliedSeq: number, rowsMax: number): FenceOutcome {
  if (current.epoch !== target.version) {
    writeShardEpoch(sql, { shardId: current.shardId, epoch: target.version, table: target, queriesOpen: false, cutoverTs: current.cutoverTs });
  }
  const locked = sql.exec<{ collection: string; id: string }>("SELECT DISTINCT collection, id FROM tx_intents").toArray();
  const lockedKeys = locked.filter((k) => targetRouter.shardFor(k.collection, k.id) !== current.shardId).length;
  if (lockedKeys > 0) return { ok: false, reason: "locked", lockedKeys };
  const drained: MovingChange[] = [];
  for (let page = 0, afterSeq = appliedSeq; ; page++) {
    if (page >= RESHARD_FENCE_DRAIN_PAGES_MAX) return { ok: false, reason: "lagging" };
    const read = changedSince(sql, current.shardId, targetRouter, afterSeq, rowsMax);
    // The catch-up read the log minutes ago at most; retention is hours.
    if (!read.ok) throw new Error(`invariant broken: the change log was trimmed past position ${afterSeq} during the cutover`);
    drained.push(...read.changes);
    afterSeq = read.throughSeq;
    if (read.complete) break;
  }
  const clock = sql.exec<{ last_ts: number; max_read_ts: number }>("SELECT last_ts, max_read_ts FROM shard_clock WHERE singleton = 1").one();
  const checksums = movingChecksums(sql, current.shardId, targetRouter);
  return { ok: true, headSeq: changeHead(sql), lastTs: clock.last_ts, maxReadTs: clock.max_read_ts, drained, checksums };
}

/**
 * Removes up to MOVED_ROWS_PER_RELEASE_MAX of the rows this shard sent away
 * (documents and their history, by `moving_keys`: no scan of the rest).
 * When none is left, opens the shard's queries. Deleting moved rows is not
 * a user's delete: nothing is logged. Idempotent.
 */
export function releasePage(sql: SqlStorage): { done: boolean; removed: number } {
  const stamp = readShardEpoch(sql);
  if (stamp === null) throw new Error("invariant broken: release on a shard that was never stamped");
  if (stamp.queriesOpen) return { done: true, removed: 0 };
  const keys = sql
    .exec<{ collection: string; id: string }>("SELECT collection, id FROM moving_keys ORDER BY collection, id LIMIT ?", MOVED_ROWS_PER_RELEASE_MAX)
    .toArray();
  for (const k of keys) {
    sql.exec("DELETE FROM documents WHERE collection = ? AND id = ?", k.collection, k.id);
    sql.exec("DELETE FROM doc_history WHERE collection = ? AND id = ?", k.collection, k.id);
    sql.exec("DELETE FROM moving_keys WHERE collection = ? AND id = ?", k.collection, k.id);
  }
  if (keys.length < MOVED_ROWS_PER_RELEASE_MAX) {
    writeShardEpoch(sql, { ...stamp, queriesOpen: true });
    return { done: true, removed: keys.length };
  }
  return { done: false, removed: keys.length };
}

/**
 * The checksum of the documents a target holds from each source, as it
 * would serve them after promotion: its documents (a new shard) or its
 * staged rows, each counted for the shard that held it under `source`.
 */
export function receivedChecksums(sql: SqlStorage, source: ShardRouter, direct: boolean): Record<string, RangeChecksum> {
  const sums: Record<string, RangeChecksum> = {};
  const rows = sql.exec<{ collection: string; id: string; version: number }>(`SELECT collection, id, version FROM ${direct ? "documents" : "staged_documents"}`).toArray();
  for (const r of rows) addToChecksum((sums[source.shardFor(r.collection, r.id)] ??= { count: 0, sum: 0 }), r.collection, r.id, r.version);
  return sums;
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

/** What a promotion did: promoted, or refused because the copies' checksum disagreed with the sources'. */
export type PromoteOutcome = { readonly ok: true } | { readonly ok: false; readonly mismatch: string };

/**
 * Ends the cutover on a target, in one transaction: stores the last drained
 * `changes`, then checks that what it received from each source has the
 * checksum that source reported at its fence (`expected`, by source; the
 * same versions of the same documents, not merely as many), and only then
 * makes staged rows documents, raises its write sequence past every moved
 * version and its clock past every source's clock (so versions and commit
 * timestamps keep rising per document, and no commit lands at or below a
 * snapshot a source served), and takes the target table with queries open.
 * Snapshot reads older than the cutover are refused from now on: moved
 * documents brought no history. On a mismatch nothing is promoted (the
 * changes stay stored; the caller repairs and asks again). Idempotent: a
 * promoted shard serves these keys and may have newer writes, so a repeated
 * promote stores nothing.
 */
export function promote(
  sql: SqlStorage,
  current: ShardEpoch,
  target: RoutingTable,
  request: {
    readonly clock: { readonly lastTs: number; readonly maxReadTs: number };
    readonly changes: ReadonlyArray<Omit<MovingChange, "target">>;
    readonly direct: boolean;
    readonly expected: Readonly<Record<string, RangeChecksum>>;
    readonly source: ShardRouter;
  },
): PromoteOutcome {
  if (current.epoch === target.version) return { ok: true };
  stageRows(sql, request.changes, request.direct);
  const received = receivedChecksums(sql, request.source, request.direct);
  for (const shard of new Set([...Object.keys(received), ...Object.keys(request.expected)])) {
    const got = received[shard] ?? { count: 0, sum: 0 };
    const want = request.expected[shard] ?? { count: 0, sum: 0 };
    if (got.count !== want.count || got.sum !== want.sum) {
      return { ok: false, mismatch: `${current.shardId} holds ${got.count} documents from ${shard} (checksum ${got.sum}), which sent ${want.count} (checksum ${want.sum})` };
    }
  }
  sql.exec(`INSERT OR REPLACE INTO documents (${COLUMNS}) SELECT ${COLUMNS} FROM staged_documents`);
  sql.exec("DELETE FROM staged_documents");
  sql.exec("UPDATE shard_sequence SET last_version = MAX(last_version, (SELECT COALESCE(MAX(version), 0) FROM documents)) WHERE singleton = 1");
  const { clock } = request;
  sql.exec("UPDATE shard_clock SET last_ts = MAX(last_ts, ?), max_read_ts = MAX(max_read_ts, ?) WHERE singleton = 1", clock.lastTs, clock.maxReadTs);
  const after = sql.exec<{ last_ts: number; max_read_ts: number }>("SELECT last_ts, max_read_ts FROM shard_clock WHERE singleton = 1").one();
  writeShardEpoch(sql, { shardId: current.shardId, epoch: target.version, table: target, queriesOpen: true, cutoverTs: Math.max(after.last_ts, after.max_read_ts) + 1 });
  return { ok: true };
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
