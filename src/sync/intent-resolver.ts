/**
 * What a request does when a shard answers that transaction locks are in
 * its way: ask each blocking transaction's coordinator how it ended, bring
 * the decision to the shard (commit or abort there, idempotently), and try
 * again. A transaction still undecided after a few rounds is aborted by its
 * coordinator (presumed abort allows that), so nobody waits forever on a
 * transaction whose client or coordinator went away.
 */
import type { Env } from "../env.js";
import { FailureError } from "../errors.js";
import {
  INTENT_RESOLUTION_BACKOFF_MS,
  INTENT_RESOLUTION_PATIENCE_ROUNDS,
  INTENT_RESOLUTION_ROUNDS_MAX,
  TX_LOCK_WAIT_MS_MAX,
  TX_LOCK_WAIT_POLL_MS_MAX,
  TX_RECORD_RETENTION_MS,
} from "../limits.js";
import { shardStub } from "../shards/shard-client.js";
import type { Blocked } from "../storage/types.js";
import { coordinatorStub } from "./coordinator-client.js";
import type { AbortCause } from "./commit-plan.js";

/**
 * A Blocked answer to a retry, sorted by lock order (lock-order.ts): the
 * holders to abort now, and the older ones to wait for without aborting.
 */
export interface PriorityBlocked extends Blocked {
  readonly wound: readonly string[];
  readonly patient: readonly string[];
}

/** True when a shard's answer says locks were in the way. */
export function isBlocked(outcome: unknown): outcome is Blocked {
  const o = outcome as Partial<Blocked> | null;
  return typeof o === "object" && o !== null && o.ok === false && Array.isArray(o.blockedBy);
}

/**
 * Runs `call` against `shard` until no transaction lock blocks it. Rounds
 * that met a holder it may abort are bounded by INTENT_RESOLUTION_ROUNDS_MAX;
 * a retry that only has older live transactions in its way (which it may
 * never abort) waits for them up to TX_LOCK_WAIT_MS_MAX, looking again at
 * least every TX_LOCK_WAIT_POLL_MS_MAX. Either bound ends in ABORTED
 * (retryable: the client runs the transaction again, keeping its priority).
 */
export async function untilUnblocked<T>(env: Env, shard: string, call: () => Promise<T | Blocked>): Promise<Exclude<T, Blocked>> {
  const startedMs = Date.now();
  let round = 0;
  for (let look = 0; ; look++) {
    const outcome = await call();
    if (!isBlocked(outcome)) return outcome as Exclude<T, Blocked>;
    const { wound, older } = priorityOf(outcome);
    const onlyOlder = outcome.blockedBy.every((txId) => older.has(txId));
    if (onlyOlder) {
      if (Date.now() - startedMs >= TX_LOCK_WAIT_MS_MAX) {
        throw new FailureError("aborted", `documents stayed locked by transactions in progress for TX_LOCK_WAIT_MS_MAX (${TX_LOCK_WAIT_MS_MAX} ms); nothing was applied: retry (the call, or the transaction it belongs to)`);
      }
    } else if (++round >= INTENT_RESOLUTION_ROUNDS_MAX) {
      throw new FailureError("aborted", "documents stayed locked by transactions in progress; retry the call");
    }
    const patient = round < INTENT_RESOLUTION_PATIENCE_ROUNDS;
    // Undecided holders are aborted once patience runs out, or at once when
    // a retry wounds them; an older retry is only ever waited for.
    const abortIfUndecided = (txId: string) => !older.has(txId) && (!patient || wound.has(txId));
    const settled = await Promise.all(outcome.blockedBy.map((txId) => settleOn(env, shard, txId, abortIfUndecided(txId), wound.has(txId) ? "wounded" : "waited")));
    if (settled.some((s) => !s)) {
      const pauseMs = onlyOlder ? Math.min(TX_LOCK_WAIT_POLL_MS_MAX, INTENT_RESOLUTION_BACKOFF_MS * 2 ** look) : INTENT_RESOLUTION_BACKOFF_MS * 2 ** (round - 1);
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
}

/**
 * For a transaction that never waits (a first attempt, CommitBatch) that
 * met locks at `shard`: brings each blocker's decision to the shard if it
 * has one, and has its coordinator abort it if it has gone quiet past its
 * lease (read-lock-lease.ts); a live undecided blocker is left alone (a
 * first attempt gives way to it). True when every blocker is gone, so the
 * caller may try once more: without this, a quiet retry's read lock made
 * every CommitBatch on the document abort until the retry's deadline.
 */
export async function clearFinished(env: Env, shard: string, blockedBy: readonly string[]): Promise<boolean> {
  const settled = await Promise.all(blockedBy.map((txId) => settleOn(env, shard, txId, false)));
  return settled.every((s) => s);
}

function priorityOf(outcome: Blocked): { wound: ReadonlySet<string>; older: ReadonlySet<string> } {
  const p = outcome as Partial<PriorityBlocked>;
  return { wound: new Set(p.wound ?? []), older: new Set(p.patient ?? []) };
}

/**
 * Settles the transactions `txIds` holding locks on `shard` for a
 * resharding's fence: brings each decision to the shard, aborts quiet ones
 * (read-lock-lease.ts) and, with `abortIfUndecided`, every undecided one.
 * True when none is left undecided.
 */
export async function settleForFence(env: Env, shard: string, txIds: readonly string[], abortIfUndecided: boolean): Promise<boolean> {
  const settled = await Promise.all(txIds.map((txId) => settleOn(env, shard, txId, abortIfUndecided, "resharded")));
  return settled.every((s) => s);
}

/** Brings `txId`'s decision to `shard`; false when it is still undecided. */
async function settleOn(env: Env, shard: string, txId: string, abortIfUndecided: boolean, why: AbortCause = "waited"): Promise<boolean> {
  const nowMs = Date.now();
  const resolution = await coordinatorStub(env, txId).resolve(txId, nowMs, abortIfUndecided, why, shard);
  const forgetAtMs = nowMs + TX_RECORD_RETENTION_MS;
  if (resolution.phase === "committed") await shardStub(env, shard).txCommit(txId, resolution.commitTs, forgetAtMs, resolution.txFingerprint);
  else if (resolution.phase === "aborted") await shardStub(env, shard).txAbort(txId, forgetAtMs, resolution.winner);
  return resolution.phase !== "pending";
}
