/**
 * A shard's part in a live resharding, as synchronous SQL steps the shard
 * runs inside `transactionSync` (src/objects/StorageObject.ts calls them; the
 * shard manager drives them: resharding-driver.ts). The protocol and its
 * invariants are in src/routing/README.md, "Live resharding".
 *
 * Source side: `exportPage` (copy), `changedSince` (catch up),
 * `checksumPoint` (the checksum before the fence), `fence` (cutover
 * starts), `releasePage` (the moved rows leave). Target side: `stageRows`,
 * `verifyReceivedPage` (before the cutover), `promote` (cutover ends),
 * `discard` (cancel). Every step is idempotent, so the shard manager may
 * repeat any of them after a crash.
 */
import { addChecksum, describeChecksum, emptyChecksum, sameChecksum, type RangeChecksum } from "./reshard-checksum.js";
import {
  adjustChecksums,
  flushReceived,
  movingChecksums,
  movingChecksumsPage,
  readReceived,
  recordStored,
  resetReceived,
  storedChecksumPage,
  type ChecksumBase,
  type ChecksumProgress,
} from "./reshard-shard-checksums.js";
import {
  MOVED_ROWS_PER_RELEASE_MAX,
  RESHARD_COPY_PAGE_ROWS_MAX,
  RESHARD_COPY_SCAN_ROWS_MAX,
  RESHARD_FENCE_DRAIN_PAGES_MAX,
  RESHARD_FENCE_HOLDERS_MAX,
  RESHARD_SCAN_ROWS_MAX,
} from "./limits.js";
import type { RoutingTable, ShardRouter } from "./router.js";
import { readShardEpoch, writeShardEpoch, type ShardEpoch } from "./shard-epoch.js";
import type { RowCursor } from "./resharding-plan.js";
import { keyPage } from "./key-page.js";
import type { DocumentRow } from "../storage/document-row.js";

export type { RowCursor } from "./resharding-plan.js";
export type { RangeChecksum } from "./reshard-checksum.js";
export type { ChecksumBase, ChecksumProgress } from "./reshard-shard-checksums.js";

/** A document row as stored, every column, as it travels between shards. */
export interface MovingRow extends DocumentRow {
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
 * null) that move under `target`: at most `scanMax` rows looked at, and at
 * most `rowsMax` moving rows and `bytesMax` bytes of them (at least one
 * row). Every moving key is recorded in `moving_keys`; `fresh` (the copy's
 * first page) first forgets the keys of an earlier, cancelled resharding.
 * The page ends right after the last row it looked at, so a page cut short
 * by the row or byte bound continues from there and none is skipped.
 * Defaults: RESHARD_COPY_PAGE_ROWS_MAX and RESHARD_COPY_SCAN_ROWS_MAX.
 */
export function exportPage(
  sql: SqlStorage,
  self: string,
  target: ShardRouter,
  after: RowCursor | null,
  bytesMax: number,
  fresh: boolean,
  rowsMax: number = RESHARD_COPY_PAGE_ROWS_MAX,
  scanMax: number = RESHARD_COPY_SCAN_ROWS_MAX,
): ExportPage {
  if (!(rowsMax >= 1 && scanMax >= 1 && scanMax <= RESHARD_SCAN_ROWS_MAX)) throw new Error(`invariant broken: a copy page of ${rowsMax} rows scanning ${scanMax}`);
  if (fresh) sql.exec("DELETE FROM moving_keys");
  // Keys first: most rows stay, and only the moving ones' data is read.
  const rows = keyPage(sql, "documents", after, scanMax);
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
    if (bytes >= bytesMax || changes.length >= rowsMax) break;
  }
  const last = rows[scanned - 1];
  const done = rows.length < scanMax && scanned === rows.length;
  return { changes, next: done || last === undefined ? null : { collection: last.collection, id: last.id }, headSeq: changeHead(sql), scanned };
}

function recordMovingKey(sql: SqlStorage, collection: string, id: string): void {
  sql.exec("INSERT OR IGNORE INTO moving_keys (collection, id) VALUES (?, ?)", collection, id);
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

/** What `checksumPoint` read: a catch-up read, and the checksum point's progress (unchanged when the read did not reach the log's head). */
export type ChecksumPoint =
  | (Extract<ChangedSince, { ok: true }> & { readonly progress: ChecksumProgress | null })
  | { readonly ok: false; readonly trimmed: true };

/**
 * One step of the checksum point a source takes before its fence (the
 * checksums the fence only adjusts), a page of `keysMax` moving keys at a
 * time so the shard is never held long: reads the moving rows changed
 * after `afterSeq` (as `changedSince`, which also records every moving key
 * they name), and when that read reached the log's head H, brings the
 * checksums taken so far to H (adjusted by the changes logged since
 * `progress.atSeq` to the keys they cover; started again when that log is
 * too long) and adds the next page of keys as of H. Every moving document
 * that exists at H is in `moving_keys`: the copy recorded those it read,
 * and the log since the copy's start, now read to its head, names every
 * other. Runs outside the cutover: the moving keys are served meanwhile.
 * Idempotent: the same `progress` and position give the same answer.
 */
export function checksumPoint(
  sql: SqlStorage,
  self: string,
  target: ShardRouter,
  afterSeq: number,
  rowsMax: number,
  progress: ChecksumProgress | null,
  keysMax: number,
): ChecksumPoint {
  const read = changedSince(sql, self, target, afterSeq, rowsMax);
  if (!read.ok) return read;
  if (!read.complete || progress?.done === true) return { ...read, progress };
  const head = read.throughSeq;
  const sofar =
    progress === null || progress.after === null
      ? null
      : adjustChecksums(sql, self, target, { atSeq: progress.atSeq, sums: progress.sums }, RESHARD_FENCE_DRAIN_PAGES_MAX * rowsMax, progress.after);
  // No progress yet, or its log since is too long to adjust: (re)start.
  const sums = sofar ?? {};
  const page = movingChecksumsPage(sql, self, target, sofar === null ? null : progress!.after, keysMax);
  for (const [shard, sum] of Object.entries(page.sums)) addChecksum((sums[shard] ??= emptyChecksum()), sum);
  return { ...read, progress: { atSeq: head, sums, after: page.last, done: page.done } };
}

/** The outcome of a fence. */
export type FenceOutcome =
  | {
      readonly ok: true;
      readonly headSeq: number;
      readonly lastTs: number;
      readonly maxReadTs: number;
      /** The shard's write sequence at the fence: every version it ever gave a moving key (deleted ones too) is at most this. */
      readonly lastVersion: number;
      /** The moving rows changed after the caller's applied position: the whole drain, read in the same step. */
      readonly drained: MovingChange[];
      /** Per target, the checksum of the documents moving there, as they are at the fence (final). */
      readonly checksums: Record<string, RangeChecksum>;
    }
  | { readonly ok: false; readonly reason: "locked"; readonly lockedKeys: number; /** The transactions holding them (at most RESHARD_FENCE_HOLDERS_MAX). */ readonly holders: string[] }
  | { readonly ok: false; readonly reason: "lagging" };

/**
 * Starts the cutover on a source: stamps the shard with the target table,
 * so every request naming a key that moves is refused from now on (no new
 * lock or write on one can begin) and queries wait until the release. Then,
 * if transactions still hold locks on moving keys, answers "locked" with
 * their ids: the caller settles them (brings their decisions here, where
 * they still apply and reach the change log; aborts quiet ones, then
 * undecided ones) and asks again. Once none is left, drains:
 * reads every moving row changed after `appliedSeq` (the catch-up keeps
 * that short; past RESHARD_FENCE_DRAIN_PAGES_MAX pages of `rowsMax` log
 * rows it answers "lagging" and the caller catches up first), and returns
 * them with the checksum of every moving document per target and the clock
 * and write sequence the targets must pass. The checksum is `base` (checksumPoint's, taken
 * before the fence) adjusted by the changes logged since it: only those
 * rows are read here. Without a base, or when the log since it is longer
 * than RESHARD_FENCE_DRAIN_PAGES_MAX pages, it is computed whole (every
 * moving document: slow, but the same answer). Moving keys can no longer
 * change, so all of it is final. Idempotent.
 */
export function fence(
  sql: SqlStorage,
  current: ShardEpoch,
  target: RoutingTable,
  targetRouter: ShardRouter,
  appliedSeq: number,
  rowsMax: number,
  base: ChecksumBase | null,
): FenceOutcome {
  if (current.epoch !== target.version) {
    writeShardEpoch(sql, { shardId: current.shardId, epoch: target.version, table: target, queriesOpen: false, cutoverTs: current.cutoverTs });
  }
  const locked = sql.exec<{ collection: string; id: string; tx_id: string }>("SELECT collection, id, tx_id FROM tx_intents").toArray();
  const moving = locked.filter((k) => targetRouter.shardFor(k.collection, k.id) !== current.shardId);
  if (moving.length > 0) {
    const holders = [...new Set(moving.map((k) => k.tx_id))].slice(0, RESHARD_FENCE_HOLDERS_MAX);
    return { ok: false, reason: "locked", lockedKeys: new Set(moving.map((k) => `${k.collection}\u0000${k.id}`)).size, holders };
  }
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
  const sequence = sql.exec<{ last_version: number }>("SELECT last_version FROM shard_sequence WHERE singleton = 1").one();
  const adjusted = base === null ? null : adjustChecksums(sql, current.shardId, targetRouter, base, RESHARD_FENCE_DRAIN_PAGES_MAX * rowsMax);
  const checksums = adjusted ?? movingChecksums(sql, current.shardId, targetRouter);
  return { ok: true, headSeq: changeHead(sql), lastTs: clock.last_ts, maxReadTs: clock.max_read_ts, lastVersion: sequence.last_version, drained, checksums };
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
 * Stores copied rows on a target: straight into `documents` when the shard
 * serves no query yet (`direct`: a new shard), else into `staged_documents`
 * until promotion. A null row deletes. Idempotent: the latest state wins.
 * Keeps the running checksum of the stored rows (`reshard_received`): the
 * row replaced leaves it, the row stored enters.
 */
export function stageRows(sql: SqlStorage, changes: ReadonlyArray<Omit<MovingChange, "target">>, direct: boolean): void {
  const table = direct ? "documents" : "staged_documents";
  const pending = { sum: emptyChecksum(), maxVersion: 0 };
  for (const c of changes) {
    const before = sql.exec<{ version: number; data: string }>(`SELECT version, data FROM ${table} WHERE collection = ? AND id = ?`, c.collection, c.id).toArray()[0];
    recordStored(pending, c.collection, c.id, before, c.row);
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
  if (changes.length > 0) flushReceived(sql, pending);
}

/** A paged verification's progress: the checksum of the copies read so far, in key order up to and including `after`. */
export interface VerifyProgress {
  readonly after: RowCursor | null;
  readonly sum: RangeChecksum;
}

/** One verification step: more pages to read, or the verdict. */
export type VerifyStep =
  | { readonly done: false; readonly progress: VerifyProgress }
  | { readonly done: true; readonly ok: true }
  | { readonly done: true; readonly ok: false; readonly mismatch: string };

/**
 * One step of checking a target's running checksum against the rows it
 * actually holds: reads at most `rowsMax` copies after `progress` (from the
 * first when null) and, when none are left, compares their sum with the
 * running checksum. A difference means the stored copies changed behind
 * the resharding's steps; the caller copies the target again. Paged so no
 * step holds the shard (a shrink's target serves its own keys meanwhile)
 * longer than a copy page. Precondition: nothing is stored on the target
 * between the steps of one verification (the driver stages nothing there
 * meanwhile); were something stored, the verdict would be a false
 * mismatch, and a copy again, never a false match of different rows.
 * Changes nothing.
 */
export function verifyReceivedPage(sql: SqlStorage, direct: boolean, progress: VerifyProgress | null, rowsMax: number): VerifyStep {
  const page = storedChecksumPage(sql, direct, progress?.after ?? null, progress?.sum ?? emptyChecksum(), rowsMax);
  if (!page.done) return { done: false, progress: { after: page.last, sum: page.sum } };
  const running = readReceived(sql).sum;
  if (sameChecksum(page.sum, running)) return { done: true, ok: true };
  return { done: true, ok: false, mismatch: `its copies hold ${describeChecksum(page.sum)}, but the rows stored through the resharding add up to ${describeChecksum(running)}` };
}

/** What a promotion did: promoted, or refused because the copies' checksum disagreed with the sources'. */
export type PromoteOutcome = { readonly ok: true } | { readonly ok: false; readonly mismatch: string };

/**
 * Ends the cutover on a target, in one transaction: stores the last drained
 * `changes`, then checks that the running checksum of what it stored
 * equals the sum of the checksums its sources reported at their fences
 * (`expected`, by source; the same documents at the same versions with the
 * same contents, not merely as many), and only then
 * makes staged rows documents, raises its write sequence past every
 * source's at its fence (`clock.lastVersion`; so a moved key's next version
 * is above every version it ever had on its source, deleted incarnations
 * included, and a version is never given twice to one key) and its clock
 * past every source's clock (so commit timestamps keep rising per
 * document, and no commit lands at or below a snapshot a source served), and takes the target table with queries open.
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
    readonly clock: { readonly lastTs: number; readonly maxReadTs: number; readonly lastVersion?: number };
    readonly changes: ReadonlyArray<Omit<MovingChange, "target">>;
    readonly direct: boolean;
    readonly expected: Readonly<Record<string, RangeChecksum>>;
  },
): PromoteOutcome {
  if (current.epoch === target.version) return { ok: true };
  stageRows(sql, request.changes, request.direct);
  // The running checksum, not a scan of the copies: verifyReceivedPage checked
  // it against the stored rows before the cutover, and every row stored
  // since went through stageRows.
  const received = readReceived(sql);
  const want = emptyChecksum();
  for (const sum of Object.values(request.expected)) addChecksum(want, sum);
  if (!sameChecksum(received.sum, want)) {
    const from = Object.entries(request.expected).map(([shard, sum]) => `${shard} ${sum.count}`).join(", ");
    return { ok: false, mismatch: `${current.shardId} holds ${describeChecksum(received.sum)}; its sources sent ${describeChecksum(want)} (${from || "none"})` };
  }
  sql.exec(`INSERT OR REPLACE INTO documents (${COLUMNS}) SELECT ${COLUMNS} FROM staged_documents`);
  sql.exec("DELETE FROM staged_documents");
  // Every moved version went through stageRows, so the highest of them is
  // known without scanning the documents; the sources' sequences bound every
  // version their moving keys ever had, deleted documents' included
  // (operations fenced before lastVersion existed send none).
  sql.exec("UPDATE shard_sequence SET last_version = MAX(last_version, ?, ?) WHERE singleton = 1", received.maxVersion, request.clock.lastVersion ?? 0);
  resetReceived(sql);
  const { clock } = request;
  sql.exec("UPDATE shard_clock SET last_ts = MAX(last_ts, ?), max_read_ts = MAX(max_read_ts, ?) WHERE singleton = 1", clock.lastTs, clock.maxReadTs);
  const after = sql.exec<{ last_ts: number; max_read_ts: number }>("SELECT last_ts, max_read_ts FROM shard_clock WHERE singleton = 1").one();
  writeShardEpoch(sql, { shardId: current.shardId, epoch: target.version, table: target, queriesOpen: true, cutoverTs: Math.max(after.last_ts, after.max_read_ts) + 1 });
  return { ok: true };
}

/**
 * Undoes a target's part of a cancelled resharding (or clears a target
 * before a copy): drops staged rows, on a new shard (`direct`) every copied
 * document, and the running checksum with them. Idempotent.
 */
export function discard(sql: SqlStorage, direct: boolean): void {
  sql.exec("DELETE FROM staged_documents");
  resetReceived(sql);
  if (direct) {
    sql.exec("DELETE FROM documents");
    sql.exec("DELETE FROM doc_history");
  }
}
