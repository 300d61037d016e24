/**
 * A retry's reads (GetDocuments of a transaction begun with retry_of): the
 * shard takes a read lock on each document as it reads it, in the same
 * SQLite transaction, so no other transaction can overwrite what the retry
 * read before it commits. The lock is an update lock: exclusive against
 * write intents and against other retries' read locks
 * (`lockingReadHolders`). A lock of another transaction in the way is
 * settled by wound-wait (lock-order.ts): the shard answers Blocked, and the
 * Worker aborts the younger holders, waits for the older ones, and asks
 * again.
 */
import { failure, type Failure } from "../errors.js";
import { readDocuments } from "../storage/document-store.js";
import type { ShardReadOutcome } from "../storage/types.js";
import { acquireRead, holderPriorities, lockingReadHolders, participation, type LockOwner } from "./lockManager.js";
import { lockDecision } from "./lock-order.js";
import type { PriorityBlocked } from "./intent-resolver.js";
import type { LockWaitQueue } from "./lock-waiters.js";

/** Who reads with locks: the transaction, its deadline and its priority. */
export interface LockingReader {
  readonly txId: string;
  readonly expiresMs: number;
  readonly priorityMs: number;
}

/**
 * Reads `refs` and takes a read lock on each; see the module comment. With
 * `waiters`, a retry told to wait for older holders is remembered as
 * waiting, and a retry finding no lock but an older waiter remembered on a
 * document waits behind it (lock-waiters.ts), so a released lock goes to
 * the oldest waiter.
 */
export function readWithLocks(
  storage: DurableObjectStorage,
  reader: LockingReader,
  refs: ReadonlyArray<{ collection: string; id: string }>,
  nowMs: number,
  waiters: LockWaitQueue | null = null,
): ShardReadOutcome | Failure {
  const me = { txId: reader.txId, priority: reader.priorityMs };
  const outcome = storage.transactionSync((): ShardReadOutcome | Failure => {
    const sql = storage.sql;
    if (nowMs > reader.expiresMs) return failure("aborted", "transaction expired; retry it");
    const earlier = participation(sql, reader.txId);
    if (earlier?.state === "aborted") return failure("aborted", "transaction aborted (its locks were released); retry it");
    if (earlier !== null) return failure("failed_precondition", "transaction is already committing; it can read no more");
    const holders = new Set<string>();
    for (const ref of refs) for (const tx of lockingReadHolders(sql, ref, reader.txId)) holders.add(tx);
    if (holders.size > 0) {
      const decision = lockDecision({ txId: reader.txId, priority: reader.priorityMs }, holderPriorities(sql, [...holders]));
      if (decision.kind === "die") throw new Error("invariant broken: a retry (with a priority) never dies on a lock");
      const outcome: PriorityBlocked = {
        ok: false,
        kind: "aborted",
        message: "documents are locked by transactions in progress",
        blockedBy: [...holders],
        wound: decision.wound,
        patient: decision.patient,
      };
      if (decision.patient.length > 0) waiters?.wait(me, refs, nowMs);
      return outcome;
    }
    const ahead = waiters?.olderThan(me, refs, nowMs) ?? [];
    if (ahead.length > 0) {
      waiters!.wait(me, refs, nowMs);
      const queued: PriorityBlocked = {
        ok: false,
        kind: "aborted",
        message: "documents are awaited by older transactions",
        blockedBy: ahead.map((w) => w.txId),
        wound: [],
        patient: ahead.map((w) => w.txId),
      };
      return queued;
    }
    const owner: LockOwner = { txId: reader.txId, expiresMs: reader.expiresMs, proposedTs: null, priority: reader.priorityMs };
    for (const ref of refs) acquireRead(sql, owner, ref);
    return readDocuments(sql, refs);
  });
  if (outcome.ok) waiters?.done(reader.txId, refs);
  return outcome;
}
