/**
 * Decides whether a transaction may prepare (or commit in one phase) on a
 * shard: every version it read must still be the current one, and no other
 * transaction may hold a lock that conflicts with what it reads or writes.
 *
 * Read-write conflicts with another transaction's prepared intents count as
 * conflicts (the other may be about to commit a new version), so validation
 * never lets a transaction commit over a write it cannot see yet.
 */
import { lockHolders } from "./lockManager.js";
import { readRow } from "../storage/document-store.js";

/** A version a transaction read; 0 means the document did not exist. */
export interface ReadVersion {
  readonly collection: string;
  readonly id: string;
  readonly version: number;
}

/** Why a transaction may not go on here. */
export type Conflict =
  | { readonly kind: "stale_read"; readonly ref: string; readonly readVersion: number; readonly currentVersion: number }
  | { readonly kind: "locked"; readonly ref: string; readonly holders: readonly string[] };

type Ref = { readonly collection: string; readonly id: string };

/**
 * The conflict of `txId` with the shard's state, or null: a stale read
 * first (waiting cannot cure it), else every transaction whose lock is in
 * the way (so the caller can decide, by the lock order, whether to wait for them).
 */
export function findConflict(sql: SqlStorage, txId: string, reads: readonly ReadVersion[], writes: readonly Ref[]): Conflict | null {
  for (const read of reads) {
    const currentVersion = readRow(sql, read.collection, read.id)?.version ?? 0;
    if (currentVersion !== read.version) return { kind: "stale_read", ref: name(read), readVersion: read.version, currentVersion };
  }
  const holders = new Set<string>();
  let first: Ref | null = null;
  const add = (ref: Ref, found: readonly string[]) => {
    if (found.length > 0 && first === null) first = ref;
    for (const h of found) holders.add(h);
  };
  for (const write of writes) add(write, lockHolders(sql, write, "any", txId));
  for (const read of reads) add(read, lockHolders(sql, read, "write", txId));
  return first === null ? null : { kind: "locked", ref: name(first), holders: [...holders] };
}

/** Explains a conflict to the client. */
export function describeConflict(c: Conflict): string {
  return c.kind === "stale_read"
    ? `transaction aborted: ${c.ref} changed after it was read (read version ${c.readVersion}, now ${c.currentVersion}); retry the transaction`
    : `transaction aborted: ${c.ref} is locked by another transaction in progress; retry the transaction`;
}

function name(ref: Ref): string {
  return `${ref.collection}/${ref.id}`;
}
