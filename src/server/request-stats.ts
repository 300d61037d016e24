/**
 * What one RPC did, as far as its handler knows: the fetch handler puts a
 * fresh, empty object in every call's context values, services fill the
 * fields they can measure, and the observing interceptor logs them. A field
 * a handler does not know stays absent (never zero by default), so a log
 * line never claims work it did not measure.
 */
import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import type { QueryReport } from "../query/executor.js";

/** Per-request counters a service may fill. */
export interface RequestStats {
  /** Shards the call sent work to. */
  shardsTouched?: number;
  /** Rows SQLite read on those shards, summed. */
  rowsRead?: number;
  /**
   * Times the Worker ran the call again after a shard answered "moved"
   * (src/server/routing-retry.ts); absent when it never did.
   */
  reroutes?: number;
  /** For a rerouted call: ms from its first attempt to its answer (or to its failure). */
  reroutedMs?: number;
}

/** The current call's stats; undefined outside the fetch handler (tests serving a service directly). */
export const requestStatsKey = createContextKey<RequestStats | undefined>(undefined, { description: "request stats" });

/** Records what a query execution touched, from the executor's report. */
export function recordQueryReport(ctx: HandlerContext, report: QueryReport): void {
  const stats = ctx.values.get(requestStatsKey);
  if (stats === undefined) return;
  stats.shardsTouched = report.shardsQueried;
  stats.rowsRead = report.shards.reduce((sum, s) => sum + s.rowsRead, 0);
}
