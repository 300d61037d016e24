/** Every workload the harness knows, in the order it runs them. */
import { bank0, bank10, bank100 } from "./bank.js";
import { batchGet, batchPut } from "./batch.js";
import { hotDocument } from "./hot-document.js";
import { pendingWorkloads } from "./pending.js";
import { queryCount, queryGroupBy, queryTop10Indexed, queryTop10Unindexed } from "./queries.js";
import { txOneShard, txPut, txReadWriteOneShard, txReadWriteTwoShards, txTwoShards } from "./transactions.js";
import type { ReadyWorkload, Workload } from "./types.js";
import { pointPut, ycsbA, ycsbB, ycsbC, ycsbF } from "./ycsb.js";

/** Single-document mixes: run closed-loop and open-loop on every system. */
export const POINT_WORKLOADS: readonly ReadyWorkload[] = [ycsbA, ycsbB, ycsbC, ycsbF, pointPut];
/** Batches of `batchSize` documents: run closed-loop on every system. */
export const BATCH_WORKLOADS: readonly ReadyWorkload[] = [batchGet, batchPut];
/** Transaction latency: closed loop, one request in flight, every system (bench/lib/extended-phases.ts). */
export const TX_LATENCY_WORKLOADS: readonly ReadyWorkload[] = [txPut, txOneShard, txTwoShards, txReadWriteOneShard, txReadWriteTwoShards];
/** Bank transfers: closed loop at the mode's concurrency, every system; balances checked after. */
export const BANK_WORKLOADS: readonly ReadyWorkload[] = [bank0, bank10, bank100];
/** The query set: closed loop, one request in flight, systems with a query engine. */
export const QUERY_WORKLOADS: readonly ReadyWorkload[] = [queryTop10Indexed, queryTop10Unindexed, queryCount, queryGroupBy];
/** One document, many clients incrementing it: closed loop at the mode's hotConcurrency, every system (bench/lib/hot-phase.ts). */
export const HOT_WORKLOADS: readonly ReadyWorkload[] = [hotDocument];
export const ALL_WORKLOADS: readonly Workload[] = [
  ...POINT_WORKLOADS,
  ...BATCH_WORKLOADS,
  ...HOT_WORKLOADS,
  ...TX_LATENCY_WORKLOADS,
  ...BANK_WORKLOADS,
  ...QUERY_WORKLOADS,
  ...pendingWorkloads,
];
