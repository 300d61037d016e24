/**
 * One-phase commits' claims at the coordinator. A transaction whose writes
 * and reads all lie on one shard commits there alone (participant.ts
 * `commitOnePhase`), and that shard records its answer; but a second
 * Commit of the same id naming ANOTHER shard would find no record there,
 * and an aborted one-phase commit leaves none at all. So before a one-phase
 * commit of a transaction a client began, the Worker claims the id's one
 * commit at its coordinator (the id's single authority, as for two-phase
 * commits): the shard and the fingerprint of what it commits. A repeat of
 * that same commit (a client retrying after a lost answer, or the Worker
 * after a resharding refused it, when its documents may now lie on another
 * shard or on several) goes on, and a shard that answered before answers
 * the same; a commit of the id with other reads or writes is refused, and a one-phase commit the shard refused is recorded as the
 * transaction's abort, so the id stays aborted (as a two-phase commit's
 * coordinator decides once). A claim is kept until the transaction's
 * deadline plus TX_RECORD_RETENTION_MS, like a coordinator's records; the
 * coordinator makes no first claim past the deadline (the commit expired),
 * so only a commit claimed in time is answered after it.
 *
 * Invariant (asserted by test/workerd/transactions.test.ts "commits
 * once"): a transaction id commits at most once, with one set of writes,
 * and an id answered ABORTED never commits later.
 */
import type { Migration } from "../storage/schema.js";

/** The claims table (the coordinator's migration 2; coordinator-store.ts holds 1). */
export const ONE_PHASE_CLAIM_MIGRATION: Migration = {
  version: 2,
  description: "one-phase commits' claims",
  statements: [
    // shard '' is a commit with nothing to validate or write (no shard), which answers answer_ms, its commit time, every time.
    "CREATE TABLE tx_one_phase (tx_id TEXT PRIMARY KEY, shard TEXT NOT NULL, fingerprint TEXT NOT NULL, forget_ms INTEGER NOT NULL, answer_ms INTEGER) WITHOUT ROWID",
    "CREATE INDEX tx_one_phase_by_forget ON tx_one_phase (forget_ms)",
  ],
};

/**
 * The one commit claimed for a transaction: the shard and the fingerprint
 * of its reads and writes. Shard "" is a commit with nothing to validate
 * or write, which touches no shard; it answers `answerMs` (its commit time)
 * every time it is repeated.
 */
export interface OnePhaseClaim {
  readonly shard: string;
  readonly fingerprint: string;
  readonly answerMs?: number | null;
}

/**
 * What claiming answers: go on (first claim, or the same commit again, with
 * its first answer time if it has one, and `earlierShard`, the shard the
 * claim names, when it was made before), or refuse (another commit of the id).
 */
export type ClaimAnswer =
  | { readonly kind: "claimed"; readonly answerMs: number | null; readonly earlierShard: string | null }
  | { readonly kind: "conflict"; readonly claimed: OnePhaseClaim };

/** Claims `txId`'s one commit for `claim`, or answers the claim already made. */
export function claimOnePhase(sql: SqlStorage, txId: string, claim: OnePhaseClaim, forgetAtMs: number): ClaimAnswer {
  const earlier = loadClaim(sql, txId);
  if (earlier !== null) {
    // The same commit is the same reads and writes, on whatever shard the
    // routing table now puts them: a commit a resharding refused (nothing
    // applied) is sent again under the new table, by the same RPC.
    return earlier.fingerprint === claim.fingerprint ? { kind: "claimed", answerMs: earlier.answerMs ?? null, earlierShard: earlier.shard } : { kind: "conflict", claimed: earlier };
  }
  sql.exec("INSERT INTO tx_one_phase (tx_id, shard, fingerprint, forget_ms, answer_ms) VALUES (?, ?, ?, ?, ?)", txId, claim.shard, claim.fingerprint, forgetAtMs, claim.answerMs ?? null);
  return { kind: "claimed", answerMs: claim.answerMs ?? null, earlierShard: null };
}

/**
 * Names `shard` as where `txId`'s claimed commit (fingerprint `fingerprint`)
 * is sent now: after a resharding moved its documents, once the shard the
 * claim named was found to hold no answer for it (so nothing was applied
 * there, and its keys are fenced). A later repeat then asks this shard.
 * Does nothing when the claim is of another commit or gone.
 */
export function moveClaim(sql: SqlStorage, txId: string, fingerprint: string, shard: string): void {
  sql.exec("UPDATE tx_one_phase SET shard = ? WHERE tx_id = ? AND fingerprint = ?", shard, txId, fingerprint);
}

/** The claim made for `txId`, or null: a two-phase commit and a rollback of the id look here first. */
export function loadClaim(sql: SqlStorage, txId: string): OnePhaseClaim | null {
  const row = sql.exec<{ shard: string; fingerprint: string; answer_ms: number | null }>("SELECT shard, fingerprint, answer_ms FROM tx_one_phase WHERE tx_id = ?", txId).toArray()[0];
  return row === undefined ? null : { shard: row.shard, fingerprint: row.fingerprint, answerMs: row.answer_ms };
}

/** Forgets claims whose time has come, at most `limit`; returns how many. */
export function forgetClaims(sql: SqlStorage, nowMs: number, limit: number): number {
  const cursor = sql.exec("DELETE FROM tx_one_phase WHERE tx_id IN (SELECT tx_id FROM tx_one_phase WHERE forget_ms <= ? LIMIT ?)", nowMs, limit);
  cursor.toArray();
  return cursor.rowsWritten;
}

/** The soonest time a claim may be forgotten, or null when there is none. */
export function nextClaimForgetMs(sql: SqlStorage): number | null {
  return sql.exec<{ t: number | null }>("SELECT MIN(forget_ms) AS t FROM tx_one_phase").one().t;
}
