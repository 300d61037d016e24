/**
 * A shard's memory of which retries are waiting for which documents' locks,
 * so that a released lock goes to the oldest waiter and not to whichever
 * retry happens to ask first.
 *
 * Why: waiters look again by polling (intent-resolver.ts). Without a queue,
 * a younger retry that asks in the gap after a release takes the lock, and
 * the older waiter wounds it at its next look (lock-order.ts): an attempt
 * lost for nothing. With it, a locking read of a document with no lock but
 * an older waiter remembered answers Blocked by that waiter, and the Worker
 * waits for it like for an older holder (never aborting it).
 *
 * Invariants: only a waiter older than the asker blocks it, so every wait
 * still points from a younger retry to an older one and no cycle of waits
 * can form; a waiter that stopped looking is forgotten after
 * LOCK_WAITER_MEMORY_MS, so a vanished waiter holds nobody up for longer
 * than that. It lives in the object's memory: lost on eviction, which only
 * costs fairness, never correctness (the locks themselves are in SQLite).
 * Source of the idea: the FIFO lock queues of lock managers (Gray and
 * Reuter, "Transaction Processing", ch. 8), ordered here by priority.
 */
import { isOlder } from "./lock-order.js";

/** A retry waiting for a lock: its id and priority (first attempt's begin time, ms). */
export interface LockWaiter {
  readonly txId: string;
  readonly priority: number;
}

interface Entry extends LockWaiter {
  lastSeenMs: number;
}

type Ref = { readonly collection: string; readonly id: string };

const keyOf = (ref: Ref): string => `${ref.collection}\u0000${ref.id}`;

/** Waiting retries per document, forgotten `memoryMs` after their last look; at most `entriesMax` pairs. */
export class LockWaitQueue {
  private readonly byKey = new Map<string, Map<string, Entry>>();
  /** The documents each waiter waits for, to forget a transaction whole. */
  private readonly keysOf = new Map<string, Set<string>>();
  private entries = 0;

  constructor(
    private readonly memoryMs: number,
    private readonly entriesMax: number,
  ) {}

  /** Notes that `waiter` is waiting for each of `refs` at `nowMs`. */
  wait(waiter: LockWaiter, refs: readonly Ref[], nowMs: number): void {
    for (const ref of refs) {
      const key = keyOf(ref);
      let waiters = this.byKey.get(key);
      if (waiters === undefined) this.byKey.set(key, (waiters = new Map()));
      const known = waiters.get(waiter.txId);
      if (known !== undefined) {
        known.lastSeenMs = nowMs;
        continue;
      }
      if (this.entries >= this.entriesMax) this.forgetOldest();
      waiters.set(waiter.txId, { ...waiter, lastSeenMs: nowMs });
      let keys = this.keysOf.get(waiter.txId);
      if (keys === undefined) this.keysOf.set(waiter.txId, (keys = new Set()));
      keys.add(key);
      this.entries++;
    }
  }

  /** Forgets `txId` as a waiter for `refs` (it got the locks, or gave up). */
  done(txId: string, refs: readonly Ref[]): void {
    for (const ref of refs) this.remove(keyOf(ref), txId);
  }

  /** Forgets `txId` as a waiter everywhere (it committed or aborted). */
  forgetTransaction(txId: string): void {
    for (const key of [...(this.keysOf.get(txId) ?? [])]) this.remove(key, txId);
  }

  /** The waiters on any of `refs` older than `asker` and seen within the memory window, each once. */
  olderThan(asker: LockWaiter, refs: readonly Ref[], nowMs: number): LockWaiter[] {
    const out = new Map<string, LockWaiter>();
    for (const ref of refs) {
      const key = keyOf(ref);
      const waiters = this.byKey.get(key);
      if (waiters === undefined) continue;
      for (const entry of [...waiters.values()]) {
        if (nowMs - entry.lastSeenMs > this.memoryMs) {
          this.remove(key, entry.txId);
          continue;
        }
        if (entry.txId !== asker.txId && isOlder(entry, asker)) out.set(entry.txId, { txId: entry.txId, priority: entry.priority });
      }
    }
    return [...out.values()];
  }

  /** How many (document, waiter) pairs are remembered. */
  get size(): number {
    return this.entries;
  }

  private forgetOldest(): void {
    let oldest: { key: string; txId: string; seenMs: number } | null = null;
    for (const [key, waiters] of this.byKey) {
      for (const entry of waiters.values()) {
        if (oldest === null || entry.lastSeenMs < oldest.seenMs) oldest = { key, txId: entry.txId, seenMs: entry.lastSeenMs };
      }
    }
    if (oldest !== null) this.remove(oldest.key, oldest.txId);
  }

  private remove(key: string, txId: string): void {
    const waiters = this.byKey.get(key);
    if (waiters?.delete(txId)) this.entries--;
    if (waiters?.size === 0) this.byKey.delete(key);
    const keys = this.keysOf.get(txId);
    keys?.delete(key);
    if (keys?.size === 0) this.keysOf.delete(txId);
  }
}
