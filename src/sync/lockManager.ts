/**
 * Write intents and read locks, kept in the shard's SQLite next to the
 * documents they guard, with their owner (a transaction id) and expiry.
 *
 * A transaction takes them when it prepares: a write intent on every
 * document it writes (exclusive, carrying the planned new contents and the
 * commit timestamp the shard proposed) and a read lock on every document it
 * read (shared). A retry takes its read locks earlier, as it reads. They
 * live until the coordinator's decision reaches the shard. While they exist:
 * - another transaction cannot prepare over them: a first attempt votes no
 *   and its client retries; a retry waits or wounds by lock-order.ts, so
 *   there are no deadlocks;
 * - a plain write to a locked document is held back until the owner is
 *   resolved;
 * - a plain read of a document under a write intent is held back too, so no
 *   one sees half of a transaction that has committed on another shard; a
 *   snapshot read is held back only by intents proposed at or below its
 *   snapshot.
 */
import { rowidRebuildMigration } from "../storage/rowid-rebuild.js";
import type { Migration } from "../storage/schema.js";
import { dropTextPieces, loadText, storeText, storedTextPiecesMigration } from "../storage/text-pieces.js";

/** The shard's transaction tables. */
export const TRANSACTION_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "transaction intents and participations",
    statements: [
      `CREATE TABLE tx_intents (
         collection TEXT NOT NULL,
         id TEXT NOT NULL,
         tx_id TEXT NOT NULL,
         mode TEXT NOT NULL CHECK (mode IN ('read', 'write')),
         -- For a write intent: 'put' with the new contents in data, or 'delete'.
         op TEXT CHECK (op IN ('put', 'delete')),
         data TEXT,
         size_bytes INTEGER,
         create_time_ms INTEGER,
         existed INTEGER,
         version INTEGER,
         expires_ms INTEGER NOT NULL,
         PRIMARY KEY (collection, id, tx_id)
       ) WITHOUT ROWID`,
      "CREATE INDEX tx_intents_by_tx ON tx_intents (tx_id)",
      // One row per transaction the shard took part in: its state here, when
      // it must be resolved or may be forgotten, and what it answered (so a
      // repeated prepare or one-phase commit answers the same).
      `CREATE TABLE tx_participations (
         tx_id TEXT PRIMARY KEY,
         state TEXT NOT NULL CHECK (state IN ('prepared', 'committed', 'aborted')),
         expires_ms INTEGER NOT NULL,
         answer TEXT,
         request_fingerprint TEXT
       ) WITHOUT ROWID`,
      "CREATE INDEX tx_participations_by_expiry ON tx_participations (state, expires_ms)",
    ],
  },
  {
    version: 2,
    description: "proposed commit timestamps and priorities on intents",
    statements: [
      // The timestamp the shard proposed when the transaction prepared: its
      // commit timestamp will be at least this, so a snapshot read below it
      // can ignore the intent.
      "ALTER TABLE tx_intents ADD COLUMN proposed_ts INTEGER",
      // The holder's priority (its first attempt's begin time, ms) when it
      // may wait for others' locks; null when it never waits (a first
      // attempt), so anyone may wait for it without risking a deadlock.
      "ALTER TABLE tx_intents ADD COLUMN priority REAL",
    ],
  },
  {
    version: 3,
    description: "the shards of each collection a transaction writes, for the change log",
    statements: [
      // JSON object: collection -> the shards holding this transaction's
      // writes to it (only collections written on two or more shards). Kept
      // from prepare to commit, so the change rows of a commit applied by
      // recovery name their group too.
      "ALTER TABLE tx_participations ADD COLUMN change_groups TEXT",
    ],
  },
  // A recorded answer holds every document the shard wrote for the
  // transaction: longer than a row can be (storage/text-pieces.ts).
  storedTextPiecesMigration(4),
  {
    version: 5,
    description: "the shard's own name on a prepared participation",
    statements: [
      // The name (in the routing table) the prepare was sent to, so that the
      // shard's alarm can say who asks when it resolves the transaction: a
      // commit's coordinator answers "not yours" to a shard outside that
      // commit's participants, whose prepare (a repeated Commit's after a
      // resharding) must never commit. Null for rows from before it.
      "ALTER TABLE tx_participations ADD COLUMN shard TEXT",
    ],
  },
  // An intent holds the document it would write, an answer every document
  // the shard wrote, a piece up to 768 KiB (storage/rowid-rebuild.ts).
  rowidRebuildMigration(6, ["tx_intents", "tx_participations", "stored_text_pieces"]),
];

/** A lock mode. */
export type LockMode = "read" | "write";

/** One intent as stored. The write columns are null for a read lock. */
export interface IntentRow extends Record<string, SqlStorageValue> {
  collection: string;
  id: string;
  tx_id: string;
  mode: LockMode;
  op: "put" | "delete" | null;
  data: string | null;
  size_bytes: number | null;
  create_time_ms: number | null;
  existed: number | null;
  version: number | null;
  expires_ms: number;
  proposed_ts: number | null;
  priority: number | null;
}

/** The planned write a write intent carries. */
export interface IntentWrite {
  readonly op: "put" | "delete";
  readonly data: string | null;
  readonly sizeBytes: number;
  /** Null when the transaction creates the document: it is created at the commit time. */
  readonly createTimeMs: number | null;
  readonly existed: boolean;
  readonly version: number;
}

/** Who holds an intent, for snapshot reads and the lock order (lock-order.ts): set when it prepares (or reads with locks). */
export interface LockOwner {
  readonly txId: string;
  readonly expiresMs: number;
  readonly proposedTs: number | null;
  readonly priority: number | null;
}

/** A transaction's state on this shard. */
export type ParticipationState = "prepared" | "committed" | "aborted";

/** A participation row. `answer` is the JSON of what the shard answered. */
export interface Participation {
  readonly txId: string;
  readonly state: ParticipationState;
  readonly expiresMs: number;
  readonly answer: string | null;
  /** A fingerprint of the request this shard answered; a repeat must match it. */
  readonly requestFingerprint: string | null;
  /** This shard's name in the routing table, as the prepare named it (null when not given). */
  readonly shard: string | null;
}

type Ref = { readonly collection: string; readonly id: string };

/** The transactions, other than `exceptTx`, holding any lock of `mode` (or any mode) on `ref`. */
export function lockHolders(sql: SqlStorage, ref: Ref, mode: LockMode | "any", exceptTx: string | null = null): string[] {
  const rows = sql
    .exec<{ tx_id: string; mode: LockMode }>("SELECT tx_id, mode FROM tx_intents WHERE collection = ? AND id = ?", ref.collection, ref.id)
    .toArray();
  return rows.filter((r) => r.tx_id !== exceptTx && (mode === "any" || r.mode === mode)).map((r) => r.tx_id);
}

/**
 * The transactions, other than `exceptTx`, whose locks on `ref` a retry's
 * locking read must not share: every write intent, and the read locks of
 * other retries (holders with a priority). A retry's read lock is an update
 * lock: a retry reads in order to write, and two retries sharing a read
 * lock on a document both would write means the older one wounds the
 * younger at its commit; with N retries on one hot document each commit
 * wounded all the others, so the youngest lost about N times (measured: 5
 * to 8 attempts each for 24 concurrent increments). Exclusive among
 * retries, the younger waits at its read instead, behind the older, and
 * commits next. Read locks a first attempt took at prepare (no priority)
 * stay shared: they live only until its decision.
 * Source of the idea: update locks (U) in SQL Server; SELECT FOR UPDATE.
 */
export function lockingReadHolders(sql: SqlStorage, ref: Ref, exceptTx: string): string[] {
  return sql
    .exec<{ tx_id: string }>(
      "SELECT tx_id FROM tx_intents WHERE collection = ? AND id = ? AND tx_id != ? AND (mode = 'write' OR priority IS NOT NULL)",
      ref.collection, ref.id, exceptTx,
    )
    .toArray()
    .map((r) => r.tx_id);
}

/** True when any transaction holds any lock on this shard: the common "none" case skips per-document checks. */
export function anyLocks(sql: SqlStorage): boolean {
  return sql.exec("SELECT 1 FROM tx_intents LIMIT 1").toArray().length > 0;
}

/**
 * The transactions holding a write intent on any document of `collection`.
 * Deduplicated here rather than by SELECT DISTINCT: DISTINCT makes SQLite
 * open a temporary B-tree on every call, even when no row matches, and
 * every query and search pass on every shard asks this first (it was about
 * a tenth of a RunQuery's CPU in bench:profile).
 */
export function writeIntentHoldersInCollection(sql: SqlStorage, collection: string): string[] {
  const holders = new Set<string>();
  for (const row of sql.exec<{ tx_id: string }>("SELECT tx_id FROM tx_intents WHERE collection = ? AND mode = 'write'", collection).toArray()) holders.add(row.tx_id);
  return [...holders];
}

/**
 * The transactions holding write intents in any collection named after
 * `afterName` (every one when null) and at most `upTo` (no upper bound when
 * null): what a collections listing of that name range must wait for, since
 * a prepared write is counted in `collection_stats` only when applied.
 */
export function writeIntentHoldersInCollectionRange(sql: SqlStorage, afterName: string | null, upTo: string | null): string[] {
  const holders = new Set<string>();
  for (const r of sql.exec<{ tx_id: string }>(
    "SELECT tx_id FROM tx_intents WHERE mode = 'write' AND collection > ? AND (? IS NULL OR collection <= ?)",
    afterName ?? "", upTo, upTo,
  )) {
    holders.add(r.tx_id);
  }
  return [...holders];
}

/** Stores a read lock (keeping one the transaction already holds). The caller has checked it does not conflict. */
export function acquireRead(sql: SqlStorage, owner: LockOwner, ref: Ref): void {
  sql.exec(
    "INSERT OR IGNORE INTO tx_intents (collection, id, tx_id, mode, expires_ms, proposed_ts, priority) VALUES (?, ?, ?, 'read', ?, ?, ?)",
    ref.collection, ref.id, owner.txId, owner.expiresMs, owner.proposedTs, owner.priority,
  );
}

/**
 * Stores a write intent with its planned write, replacing the owner's own
 * read lock on the document if it held one. The caller has checked it does
 * not conflict.
 */
export function acquireWrite(sql: SqlStorage, owner: LockOwner, ref: Ref, w: IntentWrite): void {
  sql.exec(
    `INSERT OR REPLACE INTO tx_intents (collection, id, tx_id, mode, op, data, size_bytes, create_time_ms, existed, version, expires_ms, proposed_ts, priority)
     VALUES (?, ?, ?, 'write', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ref.collection, ref.id, owner.txId, w.op, w.data, w.sizeBytes, w.createTimeMs, w.existed ? 1 : 0, w.version, owner.expiresMs, owner.proposedTs, owner.priority,
  );
}

/**
 * The transactions holding a write intent on `ref` that a snapshot read at
 * `snapshotTs` must wait for: those whose commit timestamp may be at or
 * below it (proposed at or below it, or, for intents stored before
 * proposals existed, unknown).
 */
export function writeIntentsAtOrBefore(sql: SqlStorage, ref: Ref, snapshotTs: number): string[] {
  return sql
    .exec<{ tx_id: string }>(
      "SELECT tx_id FROM tx_intents WHERE collection = ? AND id = ? AND mode = 'write' AND (proposed_ts IS NULL OR proposed_ts <= ?)",
      ref.collection, ref.id, snapshotTs,
    )
    .toArray()
    .map((r) => r.tx_id);
}

/** The priority of each holder among `txIds` (null: it never waits). */
export function holderPriorities(sql: SqlStorage, txIds: readonly string[]): Map<string, number | null> {
  const out = new Map<string, number | null>();
  for (const txId of txIds) {
    const row = sql.exec<{ priority: number | null }>("SELECT priority FROM tx_intents WHERE tx_id = ? LIMIT 1", txId).toArray()[0];
    out.set(txId, row?.priority ?? null);
  }
  return out;
}

/** Every lock of `txId`, write intents first in the order they were planned. */
export function locksOf(sql: SqlStorage, txId: string): IntentRow[] {
  return sql.exec<IntentRow>("SELECT * FROM tx_intents WHERE tx_id = ?", txId).toArray();
}

/** Drops every lock of `txId`. */
export function releaseAll(sql: SqlStorage, txId: string): void {
  sql.exec("DELETE FROM tx_intents WHERE tx_id = ?", txId);
}

/** Forgets this shard's participation in `txId` (a losing commit's prepare: participant.ts `idOwner`). */
export function forgetParticipation(sql: SqlStorage, txId: string): void {
  sql.exec("DELETE FROM tx_participations WHERE tx_id = ?", txId);
  dropTextPieces(sql, txId);
}

/** This shard's participation in `txId`, or null. */
export function participation(sql: SqlStorage, txId: string): Participation | null {
  const row = sql
    .exec<{ tx_id: string; state: ParticipationState; expires_ms: number; answer: string | null; request_fingerprint: string | null; shard: string | null }>(
      "SELECT tx_id, state, expires_ms, answer, request_fingerprint, shard FROM tx_participations WHERE tx_id = ?",
      txId,
    )
    .toArray()[0];
  if (row === undefined) return null;
  return { txId: row.tx_id, state: row.state, expiresMs: row.expires_ms, answer: loadText(sql, txId, row.answer), requestFingerprint: row.request_fingerprint, shard: row.shard };
}

/** Records the name (in the routing table) under which this shard prepared `txId`. */
export function recordParticipantShard(sql: SqlStorage, txId: string, shard: string): void {
  sql.exec("UPDATE tx_participations SET shard = ? WHERE tx_id = ?", shard, txId);
}

/** Records (or moves) this shard's participation in `txId`. */
export function recordParticipation(
  sql: SqlStorage,
  txId: string,
  state: ParticipationState,
  expiresMs: number,
  answer: string | null,
  requestFingerprint: string | null = null,
): void {
  sql.exec(
    `INSERT INTO tx_participations (tx_id, state, expires_ms, answer, request_fingerprint) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (tx_id) DO UPDATE SET state = excluded.state, expires_ms = excluded.expires_ms,
       answer = COALESCE(excluded.answer, answer), request_fingerprint = COALESCE(excluded.request_fingerprint, request_fingerprint)`,
    txId, state, expiresMs, storeText(sql, txId, "answer", answer), requestFingerprint,
  );
}

/** Records the change groups (collection -> shards) a prepared transaction's writes belong to. */
export function recordChangeGroups(sql: SqlStorage, txId: string, groups: Readonly<Record<string, readonly string[]>>): void {
  sql.exec("UPDATE tx_participations SET change_groups = ? WHERE tx_id = ?", JSON.stringify(groups), txId);
}

/** The change groups recorded for `txId` (empty when none). */
export function changeGroupsOf(sql: SqlStorage, txId: string): Record<string, string[]> {
  const text = sql.exec<{ g: string | null }>("SELECT change_groups AS g FROM tx_participations WHERE tx_id = ?", txId).toArray()[0]?.g ?? null;
  return text === null ? {} : (JSON.parse(text) as Record<string, string[]>);
}

/** Prepared transactions whose deadline (plus grace) has passed: they must be resolved. */
export function overduePrepared(sql: SqlStorage, nowMs: number, limit: number): string[] {
  return sql
    .exec<{ tx_id: string }>("SELECT tx_id FROM tx_participations WHERE state = 'prepared' AND expires_ms <= ? ORDER BY expires_ms LIMIT ?", nowMs, limit)
    .toArray()
    .map((r) => r.tx_id);
}

/**
 * The earliest time anything here needs attention (a prepared deadline, a
 * record to forget, or a retry's read locks outliving its deadline), or null.
 *
 * Runs after every prepare and commit (scheduleRecovery), while the table
 * keeps every finished participation for TX_RECORD_RETENTION_MS past its
 * deadline: thousands of rows on a busy shard. The index is (state,
 * expires_ms), so one MIN per state reads one index entry each, where a
 * MIN over the whole table read every row of the index (SQLite's min/max
 * optimization needs the column first in the index): about 1 ms at 10,000
 * retained participations, per call (test/workerd/bookkeeping-rows-read.test.ts).
 */
export function nextDeadline(sql: SqlStorage): number | null {
  const row = sql
    .exec<{ t: number | null }>(
      `SELECT MIN(t) AS t FROM (
         SELECT MIN(expires_ms) AS t FROM tx_participations WHERE state = 'prepared'
         UNION ALL
         SELECT MIN(expires_ms) AS t FROM tx_participations WHERE state = 'committed'
         UNION ALL
         SELECT MIN(expires_ms) AS t FROM tx_participations WHERE state = 'aborted'
         UNION ALL
         SELECT MIN(expires_ms) + 1 AS t FROM tx_intents WHERE tx_id NOT IN (SELECT tx_id FROM tx_participations))`,
    )
    .one();
  return row.t;
}

/**
 * Drops the read locks of retries that never prepared here and whose
 * deadline has passed: past it they can no longer prepare or commit, so the
 * locks protect nothing. (Their coordinator releases them too, by its own
 * timer; this does not depend on it.)
 */
export function dropExpiredReadLocks(sql: SqlStorage, nowMs: number): void {
  sql.exec(
    "DELETE FROM tx_intents WHERE mode = 'read' AND expires_ms < ? AND tx_id NOT IN (SELECT tx_id FROM tx_participations)",
    nowMs,
  );
}

/**
 * Forgets finished participations whose time has passed. A finished record
 * is kept until the transaction's deadline (plus grace) so that a repeated
 * or late message is answered from it; after that the transaction's token
 * has expired and no such message is accepted.
 */
export function forgetFinished(sql: SqlStorage, nowMs: number): void {
  // `state IN (...)`, not `state != 'prepared'`: the index (state,
  // expires_ms) then finds exactly the due rows instead of the statement
  // reading every retained participation on every alarm.
  sql.exec("DELETE FROM tx_participations WHERE state IN ('committed', 'aborted') AND expires_ms <= ?", nowMs);
  // Pieces of long answers whose participation is gone (the table is empty
  // unless a transaction wrote more than a row holds).
  sql.exec("DELETE FROM stored_text_pieces WHERE tx_id NOT IN (SELECT tx_id FROM tx_participations)");
}
