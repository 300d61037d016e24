/**
 * Who waits for whose lock (wound-wait), so that no cycle of waits (a
 * deadlock) can form and the oldest retry always gets through.
 *
 * A transaction's priority is the begin time of its first attempt (older
 * is higher; ties broken by id). A first attempt never waits: on any
 * conflict it aborts, and its client retries. A retry (a "locking"
 * transaction) meeting a lock:
 * - held by an older retry: waits for it (without aborting it);
 * - held by a younger retry or a first attempt: wounds it, that is asks its
 *   coordinator to abort it now (allowed at any time before its commit
 *   decision; a transaction already decided is applied instead), and goes
 *   on once the lock is released.
 * Every wait points from a younger retry to an older one, so waits cannot
 * go round in a circle, and the oldest retry waits for nobody undecided:
 * it commits.
 *
 * "Waits for an older retry" holds only while that retry is alive: its
 * coordinator aborts it when someone blocked by it asks and it has been
 * quiet (undecided, not committing, no call) for TX_READ_LOCK_LEASE_MS
 * (read-lock-lease.ts). Invariant: no transaction that has gone quiet
 * blocks others for longer than about that lease; the abort is an
 * ordinary one before any commit decision, so it never commits afterwards.
 *
 * Wait-die (younger dies, older waits) was tried first: under read locks
 * that are later upgraded to writes (read a balance, then write it), every
 * younger reader of a hot document blocked the older writer and then died
 * at its own write, so young retries died attempt after attempt (see the
 * contention test). Under wound-wait a younger retry waits at its read
 * instead, and commits next.
 */

/** A transaction asking for a lock: `priority` null means it never waits (a first attempt). */
export interface Contender {
  readonly txId: string;
  readonly priority: number | null;
}

/** What the requester does about the holders in its way. */
export type LockDecision =
  | { readonly kind: "die" }
  | { readonly kind: "wait"; readonly wound: readonly string[]; readonly patient: readonly string[] };

/** True when `a` is older (has priority over) `b`. */
export function isOlder(a: { txId: string; priority: number }, b: { txId: string; priority: number }): boolean {
  return a.priority < b.priority || (a.priority === b.priority && a.txId < b.txId);
}

/**
 * Decides between dying and waiting, and which holders to wound (abort now)
 * or wait for patiently. `holders` maps each holder to its priority (null:
 * a first attempt). Pure.
 */
export function lockDecision(requester: Contender, holders: ReadonlyMap<string, number | null>): LockDecision {
  if (holders.size === 0) throw new Error("invariant broken: a lock decision with no holder");
  if (requester.priority === null) return { kind: "die" };
  const mine = { txId: requester.txId, priority: requester.priority };
  const wound: string[] = [];
  const patient: string[] = [];
  for (const [txId, priority] of holders) {
    if (priority !== null && isOlder({ txId, priority }, mine)) patient.push(txId);
    else wound.push(txId);
  }
  return { kind: "wait", wound, patient };
}

/**
 * The priority a retry begun at `nowMs` takes from the attempt it names
 * (`retry_of`), whose priority is `previousPriorityMs`: the older of the
 * two, but never more than `ageMaxMs` (TX_RETRY_PRIORITY_AGE_MAX_MS) older
 * than `nowMs`. So a retry still beats every transaction begun within
 * `ageMaxMs` before it, and a chain of retries kept alive on purpose
 * cannot hold documents against newcomers for longer than that. Pure.
 */
export function inheritedPriorityMs(previousPriorityMs: number, nowMs: number, ageMaxMs: number): number {
  return Math.max(Math.min(previousPriorityMs, nowMs), nowMs - ageMaxMs);
}
