/**
 * The checksums of a shard's part in a resharding, as synchronous SQL
 * (reshard-checksum.ts is the arithmetic; reshard-shard.ts calls these
 * inside its steps' transactions). README "Live resharding", R2.
 *
 * Source side: `movingChecksums` is the checksum of every moving document,
 * per target, computed before the fence at a known change-log position;
 * `adjustChecksums` brings it to the fence by the changes logged since
 * (each change's before image leaves, the document's current row enters),
 * so the fence reads only those changes. Target side: `reshard_received`
 * holds the running checksum of the rows a resharding stored here,
 * updated by every store (`recordStored`), reset with the copies
 * (`resetReceived`), and checked against the rows themselves before the
 * cutover (`storedChecksumPage`).
 */
import { addChecksum, applyTerm, emptyChecksum, type RangeChecksum } from "./reshard-checksum.js";
import type { ShardRouter } from "./router.js";
import type { RowCursor } from "./resharding-plan.js";
import { keyPage, rowPage } from "./key-page.js";
import { BEFORE_DATA_SQL } from "../watch/change-log.js";

/** A source's checksums, per target, as of change-log position `atSeq`. */
export interface ChecksumBase {
  readonly atSeq: number;
  readonly sums: Readonly<Record<string, RangeChecksum>>;
}

/**
 * A checksum point taken a page of keys at a time: the checksums of the
 * moving documents with keys up to `after` (in `moving_keys` order), as of
 * log position `atSeq`; `done` once every key is in.
 */
export interface ChecksumProgress {
  readonly atSeq: number;
  readonly sums: Readonly<Record<string, RangeChecksum>>;
  readonly after: RowCursor | null;
  readonly done: boolean;
}

/** The checksum of the next `keysMax` moving keys after `after` (those whose documents exist), per target, and the last key looked at. */
export function movingChecksumsPage(
  sql: SqlStorage,
  self: string,
  target: ShardRouter,
  after: RowCursor | null,
  keysMax: number,
): { sums: Record<string, RangeChecksum>; last: RowCursor | null; done: boolean } {
  const keys = keyPage(sql, "moving_keys", after, keysMax);
  const sums: Record<string, RangeChecksum> = {};
  for (const k of keys) {
    const to = target.shardFor(k.collection, k.id);
    if (to === self) continue;
    const row = sql.exec<{ version: number; data: string }>("SELECT version, data FROM documents WHERE collection = ? AND id = ?", k.collection, k.id).toArray()[0];
    if (row !== undefined) applyTerm((sums[to] ??= emptyChecksum()), k.collection, k.id, row.version, row.data, 1);
  }
  const last = keys[keys.length - 1];
  return { sums, last: last === undefined ? after : { collection: last.collection, id: last.id }, done: keys.length < keysMax };
}

/** The checksum of this source's moving documents (every key in `moving_keys` that still exists), per target. */
export function movingChecksums(sql: SqlStorage, self: string, target: ShardRouter): Record<string, RangeChecksum> {
  const sums: Record<string, RangeChecksum> = {};
  const rows = sql
    .exec<{ collection: string; id: string; version: number; data: string }>(
      "SELECT d.collection, d.id, d.version, d.data FROM moving_keys m JOIN documents d ON d.collection = m.collection AND d.id = m.id",
    )
    .toArray();
  for (const r of rows) {
    const to = target.shardFor(r.collection, r.id);
    if (to === self) continue;
    applyTerm((sums[to] ??= emptyChecksum()), r.collection, r.id, r.version, r.data, 1);
  }
  return sums;
}

/**
 * `base` brought forward to now by every change logged after `base.atSeq`
 * to a moving key: the key's state at `atSeq` (the before image of its
 * first change after it; none if it did not exist) leaves the checksum and
 * its current row (none if deleted) enters. Reads at most `rowsMax` log
 * rows; null when there are more, or when the log no longer holds them
 * all (the caller then computes the checksum whole). With `through`, only
 * keys up to it (in `(collection, id)` order, compared by SQLite) count:
 * the part of a checksum point taken so far.
 */
export function adjustChecksums(
  sql: SqlStorage,
  self: string,
  target: ShardRouter,
  base: ChecksumBase,
  rowsMax: number,
  through: RowCursor | null = null,
): Record<string, RangeChecksum> | null {
  const trimmedThrough = sql.exec<{ t: number }>("SELECT trimmed_through AS t FROM change_log_state WHERE singleton = 1").one().t;
  if (base.atSeq < trimmedThrough) return null;
  type Logged = { collection: string; id: string; before_version: number | null; before_data: string | null };
  const logged = (
    through === null
      ? sql.exec<Logged>(`SELECT collection, id, before_version, ${BEFORE_DATA_SQL} AS before_data FROM change_log WHERE seq > ? ORDER BY seq LIMIT ?`, base.atSeq, rowsMax + 1)
      : sql.exec<Logged>(
          `SELECT collection, id, before_version, ${BEFORE_DATA_SQL} AS before_data FROM change_log WHERE seq > ? AND (collection, id) <= (?, ?) ORDER BY seq LIMIT ?`,
          base.atSeq, through.collection, through.id, rowsMax + 1,
        )
  ).toArray();
  if (logged.length > rowsMax) return null;
  const sums: Record<string, RangeChecksum> = {};
  for (const [shard, sum] of Object.entries(base.sums)) sums[shard] = { ...sum };
  const seen = new Set<string>();
  for (const change of logged) {
    const to = target.shardFor(change.collection, change.id);
    const key = `${change.collection.length}:${change.collection}/${change.id}`;
    if (to === self || seen.has(key)) continue;
    seen.add(key);
    const sum = (sums[to] ??= emptyChecksum());
    if (change.before_version !== null && change.before_data !== null) {
      applyTerm(sum, change.collection, change.id, change.before_version, change.before_data, -1);
    }
    const now = sql
      .exec<{ version: number; data: string }>("SELECT version, data FROM documents WHERE collection = ? AND id = ?", change.collection, change.id)
      .toArray()[0];
    if (now !== undefined) applyTerm(sum, change.collection, change.id, now.version, now.data, 1);
  }
  return sums;
}

/** The running checksum of the rows stored here by a resharding, and the highest version among them. */
export function readReceived(sql: SqlStorage): { sum: RangeChecksum; maxVersion: number } {
  const r = sql.exec<{ count: number; lo: number; hi: number; max_version: number }>("SELECT count, lo, hi, max_version FROM reshard_received WHERE singleton = 1").one();
  return { sum: { count: r.count, lo: r.lo, hi: r.hi }, maxVersion: r.max_version };
}

/** Forgets the running checksum (the copies were dropped, or promoted). */
export function resetReceived(sql: SqlStorage): void {
  sql.exec("UPDATE reshard_received SET count = 0, lo = 0, hi = 0, max_version = 0 WHERE singleton = 1");
}

/**
 * Stores one copied row's effect on the running checksum: `before` (the row
 * it replaces, if any) leaves and `after` (null for a delete) enters.
 * Accumulates into `pending`; `flushReceived` writes it once per step.
 */
export function recordStored(
  pending: { sum: RangeChecksum; maxVersion: number },
  collection: string,
  id: string,
  before: { version: number; data: string } | undefined,
  after: { version: number; data: string } | null,
): void {
  if (before !== undefined) applyTerm(pending.sum, collection, id, before.version, before.data, -1);
  if (after !== null) {
    applyTerm(pending.sum, collection, id, after.version, after.data, 1);
    pending.maxVersion = Math.max(pending.maxVersion, after.version);
  }
}

/** Adds what `recordStored` accumulated to the stored running checksum. */
export function flushReceived(sql: SqlStorage, pending: { sum: RangeChecksum; maxVersion: number }): void {
  const current = readReceived(sql);
  addChecksum(current.sum, pending.sum);
  sql.exec(
    "UPDATE reshard_received SET count = ?, lo = ?, hi = ?, max_version = ? WHERE singleton = 1",
    current.sum.count, current.sum.lo, current.sum.hi, Math.max(current.maxVersion, pending.maxVersion),
  );
}

/**
 * One page of the checksum of the rows a target holds from a resharding,
 * read from the rows themselves (its documents on a new shard, else its
 * staged rows): at most `rowsMax` rows in key order strictly after `after`
 * (from the first when null), summed into a copy of `partial`. `last` is the
 * last key read; `done` when fewer than `rowsMax` rows were left.
 */
export function storedChecksumPage(
  sql: SqlStorage,
  direct: boolean,
  after: RowCursor | null,
  partial: RangeChecksum,
  rowsMax: number,
): { sum: RangeChecksum; last: RowCursor | null; done: boolean } {
  const rows = rowPage(sql, direct ? "documents" : "staged_documents", after, rowsMax);
  const sum = { ...partial };
  for (const r of rows) applyTerm(sum, r.collection, r.id, r.version, r.data, 1);
  const tail = rows.at(-1);
  return { sum, last: tail === undefined ? after : { collection: tail.collection, id: tail.id }, done: rows.length < rowsMax };
}
