/**
 * A retry's reads (GetDocuments of a transaction begun with retry_of): the
 * shard takes a read lock on each document as it reads it, in the same
 * SQLite transaction, so no other transaction can overwrite what the retry
 * read before it commits. A write intent of another transaction in the way
 * is settled by wound-wait (lock-order.ts): the shard answers Blocked, and
 * the Worker aborts the younger holders, waits for the older ones, and asks
 * again.
 */
import { failure, type Failure } from "../errors.js";
import { readDocuments } from "../storage/document-store.js";
import type { ShardReadOutcome } from "../storage/types.js";
import { acquireRead, holderPriorities, lockHolders, participation, type LockOwner } from "./lockManager.js";
import { lockDecision } from "./lock-order.js";
import type { PriorityBlocked } from "./intent-resolver.js";

/** Who reads with locks: the transaction, its deadline and its priority. */
export interface LockingReader {
  readonly txId: string;
  readonly expiresMs: number;
  readonly priorityMs: number;
}

/** Reads `refs` and takes a read lock on each; see the module comment. */
export function readWithLocks(
  storage: DurableObjectStorage,
  reader: LockingReader,
  refs: ReadonlyArray<{ collection: string; id: string }>,
  nowMs: number,
): ShardReadOutcome | Failure {
  return storage.transactionSync((): ShardReadOutcome | Failure => {
    const sql = storage.sql;
    if (nowMs > reader.expiresMs) return failure("aborted", "transaction expired; retry it");
    const earlier = participation(sql, reader.txId);
    if (earlier?.state === "aborted") return failure("aborted", "transaction aborted (its locks were released); retry it");
    if (earlier !== null) return failure("failed_precondition", "transaction is already committing; it can read no more");
    const holders = new Set<string>();
    for (const ref of refs) for (const tx of lockHolders(sql, ref, "write", reader.txId)) holders.add(tx);
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
      return outcome;
    }
    const owner: LockOwner = { txId: reader.txId, expiresMs: reader.expiresMs, proposedTs: null, priority: reader.priorityMs };
    for (const ref of refs) acquireRead(sql, owner, ref);
    return readDocuments(sql, refs);
  });
}
