/**
 * Beginning a transaction: the one place that turns TransactionOptions
 * into a signed id (sync/tx-token.ts), used by BeginTransaction and by
 * GetDocuments and Commit when they carry `new_transaction` (they begin
 * the transaction themselves, saving the client BeginTransaction's round
 * trip, as Firestore's BatchGetDocuments and Commit do with
 * `new_transaction`). Beginning stores nothing, so a transaction begun by a
 * call that then fails is simply never seen again.
 */
import type { TransactionOptions } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import type { Env } from "../env.js";
import { FailureError } from "../errors.js";
import { CLOCK_UNCERTAINTY_MS, TX_RETRY_OF_WINDOW_MS, TX_RETRY_PRIORITY_AGE_MAX_MS, TX_TIMEOUT_DEFAULT_MS, TX_TIMEOUT_MAX_MS, TX_TIMEOUT_MIN_MS } from "../limits.js";
import { inheritedPriorityMs } from "../sync/lock-order.js";
import { scopeOf } from "../databases/database-env.js";
import { MICROS_PER_MS } from "../sync/hybrid-clock.js";
import { createTransactionToken, verifyTransactionToken, type TransactionToken } from "../sync/tx-token.js";
import { pageTokenKey } from "./list-documents.js";

/**
 * Mints a new transaction id from `options` (defaults when undefined).
 * `field` names the options in error messages (`options` for
 * BeginTransaction, `new_transaction` for the calls that begin one).
 * INVALID_ARGUMENT for a timeout outside [TX_TIMEOUT_MIN_MS, TX_TIMEOUT_MAX_MS] or a
 * `retry_of` that is not one of our ids (of this database) or ended more
 * than TX_RETRY_OF_WINDOW_MS ago; FAILED_PRECONDITION for a `retry_of` of
 * an earlier database of this name (deleted and created again). A retry inherits its first
 * attempt's priority (signed in the earlier id, so a client cannot make
 * one up), at most TX_RETRY_PRIORITY_AGE_MAX_MS older than now, and reads
 * with locks. A read-only transaction takes nothing
 * from `retry_of` (it takes no locks and no conflict aborts it), but a
 * `retry_of` that is not one of our ids is refused all the same: bad input
 * is never silently accepted.
 */
export async function beginTransaction(env: Env, options: TransactionOptions | undefined, field: string): Promise<TransactionToken> {
  const timeoutMs = options?.timeout === undefined ? TX_TIMEOUT_DEFAULT_MS : durationMs(options.timeout);
  // The bounds compare the exact duration (nanoseconds), not timeoutMs, which rounds up: 99.5 ms is under the minimum.
  const timeoutNs = options?.timeout === undefined ? BigInt(timeoutMs) * 1_000_000n : options.timeout.seconds * 1_000_000_000n + BigInt(options.timeout.nanos);
  if (!(timeoutNs >= BigInt(TX_TIMEOUT_MIN_MS) * 1_000_000n && timeoutNs <= BigInt(TX_TIMEOUT_MAX_MS) * 1_000_000n)) {
    throw new FailureError(
      "invalid_argument",
      `${field}.timeout must be from ${TX_TIMEOUT_MIN_MS} ms (TX_TIMEOUT_MIN_MS: a shorter transaction expires before it can commit) to ${TX_TIMEOUT_MAX_MS / 1000} s, got ${Number(timeoutNs) / 1_000_000} ms; leave it unset for ${TX_TIMEOUT_DEFAULT_MS / 1000} s`,
    );
  }
  const key = pageTokenKey(env);
  const nowMs = Date.now();
  const readOnly = options?.readOnly ?? false;
  const retryOf = options?.retryOf ?? "";
  const checked = retryOf === "" ? null : await verifyTransactionToken(key, retryOf, nowMs, true, scopeOf(env));
  if (checked !== null && !checked.ok) {
    // The verification's own code and words say why: another database's id
    // or not one of ours (INVALID_ARGUMENT), or an id of an earlier database
    // of this name, deleted and created again (FAILED_PRECONDITION).
    const words = checked.message.replace(/^transaction /, "").replace(/; begin a new transaction$/, "; begin without retry_of");
    throw new FailureError(checked.kind, `${field}.retry_of: ${words}`);
  }
  const previous = readOnly ? null : checked;
  if (previous !== null && nowMs > previous.token.deadlineMs + TX_RETRY_OF_WINDOW_MS) {
    throw new FailureError(
      "invalid_argument",
      `${field}.retry_of names a transaction that ended more than TX_RETRY_OF_WINDOW_MS (${TX_RETRY_OF_WINDOW_MS / 1000} s) ago; begin without retry_of`,
    );
  }
  return createTransactionToken(key, nowMs + timeoutMs, readOnly, {
    // Every commit acknowledged before now is at or below this, whichever
    // clock stamped it (CLOCK_UNCERTAINTY_MS bounds their disagreement).
    snapshotTs: (nowMs + CLOCK_UNCERTAINTY_MS) * MICROS_PER_MS,
    priorityMs: previous === null ? nowMs : inheritedPriorityMs(previous.token.priorityMs, nowMs, TX_RETRY_PRIORITY_AGE_MAX_MS),
    locking: previous !== null,
    scope: scopeOf(env),
  });
}

/** The transaction a GetDocuments or Commit acts in, and whether this call began it. */
export interface CallTransaction {
  readonly token: TransactionToken;
  /**
   * True when the call began the transaction (`new_transaction`): nobody
   * else has seen its id, so it cannot have been rolled back or committed,
   * and the call need not ask its coordinator.
   */
  readonly fresh: boolean;
}

/**
 * The transaction of a call that takes either an id (`transaction`) or
 * options to begin one (`new_transaction`): exactly one of the two.
 * INVALID_ARGUMENT when both or neither are set, or for an id that is not
 * ours; ABORTED for an expired id.
 */
export async function transactionOfCall(env: Env, transaction: string, newTransaction: TransactionOptions | undefined, expiredWithinMs = 0): Promise<CallTransaction> {
  if (newTransaction !== undefined) {
    if (transaction !== "") {
      throw new FailureError("invalid_argument", "set either transaction (an id from BeginTransaction) or new_transaction (to begin one with this call), not both");
    }
    return { token: await beginTransaction(env, newTransaction, "new_transaction"), fresh: true };
  }
  if (transaction === "") {
    throw new FailureError("invalid_argument", "transaction is required: an id from BeginTransaction, or set new_transaction to begin one with this call");
  }
  return { token: await tokenOf(env, transaction, expiredWithinMs), fresh: false };
}

/**
 * Verifies an id from an earlier call; INVALID_ARGUMENT when it is not
 * ours, ABORTED when expired. With `expiredWithinMs`, an id whose deadline
 * passed at most that long ago is still accepted: a Commit sent again
 * after a lost answer must learn the first one's outcome from the records
 * kept TX_RECORD_RETENTION_MS past the deadline (the shards refuse any new
 * work of an expired transaction themselves).
 */
export async function tokenOf(env: Env, id: string, expiredWithinMs = 0): Promise<TransactionToken> {
  const nowMs = Date.now();
  const verified = await verifyTransactionToken(pageTokenKey(env), id, nowMs, expiredWithinMs > 0, scopeOf(env));
  if (!verified.ok) throw new FailureError(verified.kind, verified.message);
  if (nowMs > verified.token.deadlineMs + expiredWithinMs) {
    throw new FailureError("aborted", `transaction expired at ${new Date(verified.token.deadlineMs).toISOString()}; begin a new one and retry`);
  }
  return verified.token;
}

/** A Duration in whole milliseconds, rounded up: a timeout of 1 ns is 1 ms, not 0 (which is refused). */
function durationMs(d: { seconds: bigint; nanos: number }): number {
  return Number(d.seconds) * 1000 + Math.ceil(d.nanos / 1e6);
}
