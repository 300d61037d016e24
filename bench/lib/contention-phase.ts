/**
 * The contention phase: transfers between zipfian-chosen accounts (a few
 * hot accounts take most of them) beside long read-only audits that sum
 * every account in one transaction. It reports what contention costs:
 * transfer throughput and abort rate, and audit latency (p50/p99) and
 * aborts; and it checks that every audit saw the opening total, which holds
 * only if each audit read one consistent snapshot.
 *
 * Only systems whose TxDriver offers `audit` run it (ImpossibleDB: a
 * read-only transaction; the others have no such driver method yet).
 */
import { ACCOUNT_COUNT, accountIds, OPENING_BALANCE } from "../workloads/bank.js";
import type { RunningSystem } from "../systems/types.js";
import { createRandom, createZipfian } from "./keys.js";

/** How the phase runs in each mode. */
export interface ContentionSettings {
  readonly measureMs: number;
  /** Clients running audits; the rest of the mode's concurrency runs transfers. */
  readonly auditClients: number;
  /**
   * Clients running transfers; the rest of the concurrency when unset. 0
   * measures audits alone, the baseline their latency under contention is
   * compared with.
   */
  readonly transferClients?: number;
}

/** What one system did in the phase. */
export interface ContentionResult {
  readonly system: string;
  readonly seconds: number;
  readonly transfers: number;
  readonly transferAborts: number;
  /** Aborted attempts per attempt made. */
  readonly transferAbortRate: number;
  readonly audits: number;
  readonly auditAborts: number;
  readonly auditP50Ms: number;
  readonly auditP99Ms: number;
  /** Audits whose total differed from the opening total (each is a failure). */
  readonly wrongTotals: number;
}

/** A transfer moves 1..TRANSFER_AMOUNT_MAX. */
const TRANSFER_AMOUNT_MAX = 100;

/** Runs the phase on `system`; null when the system cannot audit. */
export async function runContention(
  system: RunningSystem,
  settings: ContentionSettings,
  concurrency: number,
  seed: number,
): Promise<ContentionResult | null> {
  const tx = system.driver.tx;
  if (tx.audit === undefined) return null;
  const audit = tx.audit.bind(tx);
  const transferClients = settings.transferClients ?? Math.max(1, concurrency - settings.auditClients);
  const openingTotal = ACCOUNT_COUNT * OPENING_BALANCE;
  const endAt = performance.now() + settings.measureMs;
  let transfers = 0;
  let transferAborts = 0;
  let auditAborts = 0;
  let wrongTotals = 0;
  const auditMs: number[] = [];
  const started = performance.now();

  const transferClient = async (client: number) => {
    const random = createRandom(seed + 7919 * (client + 1));
    const zipf = createZipfian(ACCOUNT_COUNT, random);
    while (performance.now() < endAt) {
      const from = zipf();
      let to = zipf();
      if (to === from) to = (from + 1 + Math.floor(random() * (ACCOUNT_COUNT - 1))) % ACCOUNT_COUNT;
      transferAborts += await tx.transfer(accountIds[from]!, accountIds[to]!, 1 + Math.floor(random() * TRANSFER_AMOUNT_MAX));
      transfers++;
    }
  };
  const auditClient = async () => {
    while (performance.now() < endAt) {
      const t0 = performance.now();
      const { total, aborts } = await audit(accountIds);
      auditMs.push(performance.now() - t0);
      auditAborts += aborts;
      if (total !== openingTotal) wrongTotals++;
    }
  };
  await Promise.all([
    ...Array.from({ length: transferClients }, (_, c) => transferClient(c)),
    ...Array.from({ length: settings.auditClients }, auditClient),
  ]);
  const sorted = auditMs.sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return {
    system: system.id,
    seconds: (performance.now() - started) / 1000,
    transfers,
    transferAborts,
    transferAbortRate: transferAborts / Math.max(1, transfers + transferAborts),
    audits: sorted.length,
    auditAborts,
    auditP50Ms: at(0.5),
    auditP99Ms: at(0.99),
    wrongTotals,
  };
}

/** One log line for a result. */
export function describeContention(r: ContentionResult): string {
  return (
    `contention ${r.system}: ${r.transfers} transfers in ${r.seconds.toFixed(1)} s, abort rate ${(100 * r.transferAbortRate).toFixed(1)}% ` +
    `(${r.transferAborts} aborted attempts); ${r.audits} audits of ${ACCOUNT_COUNT} accounts, ${r.auditAborts} aborted, ` +
    `p50 ${r.auditP50Ms.toFixed(1)} ms, p99 ${r.auditP99Ms.toFixed(1)} ms${r.wrongTotals > 0 ? `, ${r.wrongTotals} WRONG TOTALS` : ""}`
  );
}
