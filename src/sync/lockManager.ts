/**
 * Write intents and read locks, kept in the shard's SQLite next to the
 * documents they guard, with their owner (a transaction id) and expiry.
 *
 * A transaction takes them when it prepares: a write intent on every
 * document it writes (exclusive, carrying the planned new contents) and a
 * read lock on every document it read (shared). They live until the
 * coordinator's decision reaches the shard. While they exist:
 * - another transaction cannot prepare over them (no waiting: it votes no
 *   and its client retries, so there are no deadlocks);
 * - a plain write to a locked document is held back until the owner is
 *   resolved;
 * - a plain read of a document under a write intent is held back too, so no
 *   one sees half of a transaction that has committed on another shard.
 */
import type { Migration } from "../storage/schema.js";

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
}

type Ref = { readonly collection: string; readonly id: string };

/** The transactions, other than `exceptTx`, holding any lock of `mode` (or any mode) on `ref`. */
export function lockHolders(sql: SqlStorage, ref: Ref, mode: LockMode | "any", exceptTx: string | null = null): string[] {
  const rows = sql
    .exec<{ tx_id: string; mode: LockMode }>("SELECT tx_id, mode FROM tx_intents WHERE collection = ? AND id = ?", ref.collection, ref.id)
    .toArray();
  return rows.filter((r) => r.tx_id !== exceptTx && (mode === "any" || r.mode === mode)).map((r) => r.tx_id);
}

/** True when any transaction holds any lock on this shard: the common "none" case skips per-document checks. */
export function anyLocks(sql: SqlStorage): boolean {
  return sql.exec("SELECT 1 FROM tx_intents LIMIT 1").toArray().length > 0;
}

/** The transactions holding a write intent on any document of `collection`. */
export function writeIntentHoldersInCollection(sql: SqlStorage, collection: string): string[] {
  return sql
    .exec<{ tx_id: string }>("SELECT DISTINCT tx_id FROM tx_intents WHERE collection = ? AND mode = 'write'", collection)
    .toArray()
    .map((r) => r.tx_id);
}

/** Stores a read lock. The caller has checked it does not conflict. */
export function acquireRead(sql: SqlStorage, txId: string, ref: Ref, expiresMs: number): void {
  sql.exec("INSERT INTO tx_intents (collection, id, tx_id, mode, expires_ms) VALUES (?, ?, ?, 'read', ?)", ref.collection, ref.id, txId, expiresMs);
}

/** Stores a write intent with its planned write. The caller has checked it does not conflict. */
export function acquireWrite(sql: SqlStorage, txId: string, ref: Ref, expiresMs: number, w: IntentWrite): void {
  sql.exec(
    `INSERT INTO tx_intents (collection, id, tx_id, mode, op, data, size_bytes, create_time_ms, existed, version, expires_ms)
     VALUES (?, ?, ?, 'write', ?, ?, ?, ?, ?, ?, ?)`,
    ref.collection, ref.id, txId, w.op, w.data, w.sizeBytes, w.createTimeMs, w.existed ? 1 : 0, w.version, expiresMs,
  );
}

/** Every lock of `txId`, write intents first in the order they were planned. */
export function locksOf(sql: SqlStorage, txId: string): IntentRow[] {
  return sql.exec<IntentRow>("SELECT * FROM tx_intents WHERE tx_id = ?", txId).toArray();
}

/** Drops every lock of `txId`. */
export function releaseAll(sql: SqlStorage, txId: string): void {
  sql.exec("DELETE FROM tx_intents WHERE tx_id = ?", txId);
}

/** This shard's participation in `txId`, or null. */
export function participation(sql: SqlStorage, txId: string): Participation | null {
  const row = sql
    .exec<{ tx_id: string; state: ParticipationState; expires_ms: number; answer: string | null; request_fingerprint: string | null }>(
      "SELECT tx_id, state, expires_ms, answer, request_fingerprint FROM tx_participations WHERE tx_id = ?",
      txId,
    )
    .toArray()[0];
  if (row === undefined) return null;
  return { txId: row.tx_id, state: row.state, expiresMs: row.expires_ms, answer: row.answer, requestFingerprint: row.request_fingerprint };
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
    txId, state, expiresMs, answer, requestFingerprint,
  );
}

/** Prepared transactions whose deadline (plus grace) has passed: they must be resolved. */
export function overduePrepared(sql: SqlStorage, nowMs: number, limit: number): string[] {
  return sql
    .exec<{ tx_id: string }>("SELECT tx_id FROM tx_participations WHERE state = 'prepared' AND expires_ms <= ? ORDER BY expires_ms LIMIT ?", nowMs, limit)
    .toArray()
    .map((r) => r.tx_id);
}

/** The earliest time anything here needs attention (a prepared deadline or a record to forget), or null. */
export function nextDeadline(sql: SqlStorage): number | null {
  const row = sql.exec<{ t: number | null }>("SELECT MIN(expires_ms) AS t FROM tx_participations").one();
  return row.t;
}

/**
 * Forgets finished participations whose time has passed. A finished record
 * is kept until the transaction's deadline (plus grace) so that a repeated
 * or late message is answered from it; after that the transaction's token
 * has expired and no such message is accepted.
 */
export function forgetFinished(sql: SqlStorage, nowMs: number): void {
  sql.exec("DELETE FROM tx_participations WHERE state != 'prepared' AND expires_ms <= ?", nowMs);
}
