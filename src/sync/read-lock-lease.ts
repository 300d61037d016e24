/**
 * The lease on a transaction's claim to be waited for: no transaction that
 * has gone quiet may stall others for long.
 *
 * A retry (retry_of) takes read locks as it reads and carries its first
 * attempt's priority; under wound-wait (lock-order.ts) younger
 * transactions wait for an older one and never abort it. An older retry
 * whose client went away (or that named a just-committed id in retry_of
 * and never came back) would so hold its documents until its deadline
 * (up to 60 s), and every transaction needing them would run out of
 * attempts. The rule:
 *
 *   An undecided transaction that is not committing, and whose coordinator
 *   has not heard from it for TX_READ_LOCK_LEASE_MS, is not waited for:
 *   anyone its locks block may have its coordinator abort it.
 *
 * "Heard from" is each GetDocuments of a locking transaction (it registers
 * with the coordinator before it reads) and each round of such a call that
 * waits for a lock; a transaction that is committing (its prepares in
 * flight, or decided) is the coordinator's business and never quiet. The
 * abort goes through the coordinator like any other (presumed abort allows
 * it at any time before a commit decision), so the quiet transaction's
 * later Commit answers ABORTED and nothing of it is applied: it never
 * commits on reads its lost locks no longer protect.
 *
 * Leases are kept in the coordinator's memory, not its storage: renewing
 * one on every read must not cost a durable write. A coordinator that
 * restarts, or forgets a lease to stay within COORDINATOR_LEASES_MAX,
 * starts the lease again when first asked about the transaction: it then
 * waits at most one more lease, and never aborts a transaction it heard
 * from within one.
 *
 * Like CockroachDB's transaction heartbeats (a pusher may abort a
 * transaction whose record has not been heartbeated recently) and Cloud
 * Spanner's abort of idle read-write transactions, but renewed by the
 * calls the transaction makes anyway, with no heartbeat of its own.
 */
import type { Phase } from "./twoPhaseCommit.js";

/** What the coordinator knows of a transaction someone is blocked on. */
export interface LeaseView {
  /** Its phase on record; null when the coordinator has no record of it. */
  readonly phase: Phase | null;
  /** True while the coordinator is running its commit (prepares in flight). */
  readonly committing: boolean;
  /** When the coordinator last heard from it (ms). */
  readonly heardMs: number;
}

/**
 * True when the transaction can go quiet at all: undecided and not
 * committing (a commit in progress, or a decision, is the coordinator's
 * business, not its client's). Pure.
 */
export function mayGoQuiet(view: Pick<LeaseView, "phase" | "committing">): boolean {
  return (view.phase === null || view.phase === "idle") && !view.committing;
}

/**
 * True when the transaction has gone quiet past its lease: it may go quiet
 * (mayGoQuiet) and has not been heard from for more than `leaseMs`. Pure.
 */
export function quietPastLease(view: LeaseView, nowMs: number, leaseMs: number): boolean {
  return mayGoQuiet(view) && nowMs - view.heardMs > leaseMs;
}

/**
 * When each transaction was last heard from, for at most `entriesMax`
 * transactions (the one heard from longest ago is forgotten first) and
 * never past its deadline.
 */
export class LeaseTable {
  /** txId -> last heard (ms) and deadline (ms); Map order is the order last heard. */
  private readonly entries = new Map<string, { heardMs: number; deadlineMs: number }>();

  constructor(private readonly entriesMax: number) {
    if (!(entriesMax >= 1)) throw new Error("invariant broken: a lease table holds at least one entry");
  }

  /** Records that `txId` was heard from at `nowMs`. */
  heard(txId: string, nowMs: number, deadlineMs: number): void {
    this.entries.delete(txId);
    this.entries.set(txId, { heardMs: nowMs, deadlineMs });
    if (this.entries.size > this.entriesMax) this.prune(nowMs);
  }

  /**
   * When `txId` was last heard from; a transaction not in the table (never
   * heard of here, forgotten, or its coordinator restarted) is counted as
   * heard from now, so its lease starts at first sight.
   */
  lastHeardMs(txId: string, nowMs: number, deadlineMs: number): number {
    const entry = this.entries.get(txId);
    if (entry !== undefined) return entry.heardMs;
    this.heard(txId, nowMs, deadlineMs);
    return nowMs;
  }

  /** Forgets `txId` (it was decided). */
  forget(txId: string): void {
    this.entries.delete(txId);
  }

  /** How many transactions the table remembers. */
  get size(): number {
    return this.entries.size;
  }

  /** Drops entries past their deadline, then the longest unheard ones until within the bound. */
  private prune(nowMs: number): void {
    for (const [txId, entry] of this.entries) if (entry.deadlineMs < nowMs) this.entries.delete(txId);
    for (const txId of this.entries.keys()) {
      if (this.entries.size <= this.entriesMax) break;
      this.entries.delete(txId);
    }
  }
}
