/**
 * A workload is one module: what it is, and how to build the next request
 * for a system. Adding one (the bank transfers, the query set) means adding
 * a file here and listing it in `workloads/index.ts`; the runner, the
 * loops, the report and the result file need no change.
 */
import type { Operation } from "../lib/loops.js";
import type { Driver } from "../systems/types.js";

/** What a workload's operations may use. Each caller gets its own seeded random stream. */
export interface OperationContext {
  readonly driver: Driver;
  readonly random: () => number;
  readonly nextKey: () => string;
  readonly recordCount: number;
  readonly batchSize: number;
  /** Outcomes worth counting that are not errors (e.g. a version conflict in read-modify-write). */
  readonly counters: Record<string, number>;
}

export interface ReadyWorkload {
  readonly status: "ready";
  readonly id: string;
  readonly title: string;
  /** "point": one document per request; "batch": `batchSize` documents per request. */
  readonly kind: "point" | "batch";
  /** Builds the next request. */
  next(ctx: OperationContext): Operation;
}

/** A workload whose system support has not landed: listed in the results as not yet measured, never faked. */
export interface PendingWorkload {
  readonly status: "pending";
  readonly id: string;
  readonly title: string;
  readonly reason: string;
}

export type Workload = ReadyWorkload | PendingWorkload;
