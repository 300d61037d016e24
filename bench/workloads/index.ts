/** Every workload the harness knows, in the order it runs them. */
import { batchGet, batchPut } from "./batch.js";
import { pendingWorkloads } from "./pending.js";
import type { ReadyWorkload, Workload } from "./types.js";
import { pointPut, ycsbA, ycsbB, ycsbC, ycsbF } from "./ycsb.js";

/** Single-document mixes: run closed-loop and open-loop on every system. */
export const POINT_WORKLOADS: readonly ReadyWorkload[] = [ycsbA, ycsbB, ycsbC, ycsbF, pointPut];
/** Batches of `batchSize` documents: run closed-loop on every system. */
export const BATCH_WORKLOADS: readonly ReadyWorkload[] = [batchGet, batchPut];
export const ALL_WORKLOADS: readonly Workload[] = [...POINT_WORKLOADS, ...BATCH_WORKLOADS, ...pendingWorkloads];
