/**
 * Workloads whose system support is being built on other branches. They are
 * listed in every result as "not yet measured" until their module lands; no
 * figure is invented for them.
 *
 * To add one: write a ReadyWorkload in its own file (e.g. `bank.ts` using
 * TransactionService through a new Driver method that every system
 * implements in its own way), then swap the entry in `index.ts`.
 */
import type { PendingWorkload } from "./types.js";

const transactions = "needs TransactionService (transactions milestone, being built on another branch)";

export const pendingWorkloads: readonly PendingWorkload[] = [
  { status: "pending", id: "bank-0", title: "Bank transfers, 0% cross-shard", reason: transactions },
  { status: "pending", id: "bank-10", title: "Bank transfers, 10% cross-shard", reason: transactions },
  { status: "pending", id: "bank-100", title: "Bank transfers, 100% cross-shard", reason: transactions },
  { status: "pending", id: "query-set", title: "The query set (Query issue)", reason: "needs QueryService (query milestone, being built on another branch)" },
];
