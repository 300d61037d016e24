/**
 * QueryExecutor: runs a plan across shards. It fans out in parallel
 * (bounded), merges the shards' ordered streams, applies offset and limit
 * globally, and resumes pages after the last sort key returned, never by
 * re-skipping, so a page walk sees every document that matches throughout
 * it exactly once, even while documents are being written.
 *
 * Shards are reached through `QueryShards`, so the same executor runs over
 * Durable Object stubs in the Worker and over in-memory SQLite in tests.
 */
import { FailureError } from "../errors.js";
import { QUERY_FANOUT_CONCURRENCY_MAX, QUERY_ROWS_READ_MAX, SHARD_BATCH_ROWS_MAX, STREAM_FIRST_BATCH_ROWS } from "../limits.js";
import type { StoredDocument } from "../storage/types.js";
import type { FieldPath } from "../validation/field-path.js";
import { finish, merge, type AggregateGroup, type AggregateSpec, type PartialGroups } from "./aggregator.js";
import type { Expr } from "./expression.js";
import { createLimiter, withinDeadline, type Deadline } from "./fan-out.js";
import { mergeSources, type BatchSizes } from "./merge.js";
import { fillPage, type PageBytes } from "./page-fill.js";
import { cursorOf, type OrderKey, type QueryCursor } from "./order.js";
import { selectShards, type PlanRouting } from "./planner.js";
import { ruleFiltered, type ShardAggregationRequest, type ShardAggregationResult, type ShardExplain, type ShardQueryRequest, type ShardQueryResult } from "./shard-query.js";
import { ruleReport, type RuleReport, type ShardReadRule } from "../rules/read-rule.js";

/** A query, parsed and validated. */
export interface QuerySpec {
  readonly collection: string;
  readonly filter: Expr;
  readonly order: readonly OrderKey[];
  /** The most documents over all pages; null for no limit. */
  readonly limit: number | null;
  readonly offset: number;
  /** Fields to return; null for all. */
  readonly select: FieldPath[] | null;
  /** The caller's read rule (src/rules/); absent or null when none binds it. */
  readonly rule?: ShardReadRule | null;
}

/** The shards of one query, however they are reached. */
export interface QueryShards extends PlanRouting {
  readonly routingVersion: number;
  query(shard: string, req: ShardQueryRequest): Promise<ShardQueryResult>;
  aggregate(shard: string, req: ShardAggregationRequest): Promise<ShardAggregationResult>;
  /**
   * Version `version` of one document from its shard's row or history, or
   * null when the shard no longer holds it (a page token's anchor:
   * anchor.ts). Optional: shards without history leave it out.
   */
  documentVersion?(shard: string, ref: { collection: string; id: string }, version: number): Promise<StoredDocument | null>;
}

/** How one shard took part, for Explain. */
export interface ShardReport {
  readonly shard: string;
  readonly pruned: boolean;
  index: string;
  sqlPlan: string;
  rowsRead: number;
  rowsReturned: number;
}

/** How a query ran. */
export interface QueryReport {
  readonly shardsTotal: number;
  readonly shardsQueried: number;
  readonly routingVersion: number;
  readonly shards: ShardReport[];
  rowsReturned: number;
  /** How the caller's read rule took part; null when none did. */
  readonly rule: RuleReport | null;
}

/** Where a page walk stands: after `after`, with `returned` documents sent so far. */
export interface PageState {
  readonly after: QueryCursor;
  readonly returned: number;
  /**
   * The version of the document `after` names (the anchor) when the page
   * ended on it; a token whose sort keys were cut carries it, so the next
   * page can find the anchor's key in its history after it changed
   * (page-state.ts).
   */
  readonly anchorVersion?: number;
}

/** Options of one execution. */
export interface ExecuteOptions {
  readonly deadline: Deadline;
  readonly explain: boolean;
  readonly rowsReadMax?: number;
  /**
   * Ends a page early (with a next state) before the document that would
   * not fit this byte budget, measured by the caller's `sizeOf` (the
   * service counts wire bytes). The first document always fits.
   */
  readonly pageBytes?: PageBytes;
}

/** A page of results. */
export interface QueryPage {
  readonly documents: StoredDocument[];
  readonly next: PageState | null;
  readonly report: QueryReport;
}

/** Runs one page of `spec`, continuing from `state` when given. */
export async function runQueryPage(shards: QueryShards, spec: QuerySpec, pageSize: number, state: PageState | null, options: ExecuteOptions): Promise<QueryPage> {
  const skip = state === null ? spec.offset : 0;
  const returned = state?.returned ?? 0;
  const remaining = spec.limit === null ? Infinity : spec.limit - returned;
  const want = Math.min(pageSize, remaining);
  const run = startRun(shards, spec, options);
  const need = skip + want + 1;
  // An async generator: nothing is fetched unless fillPage reads it.
  const source = run.merged(state?.after ?? null, { first: Math.min(need, SHARD_BATCH_ROWS_MAX), max: SHARD_BATCH_ROWS_MAX });
  const { items: documents, more } = await fillPage(source, skip, want, options.pageBytes, (doc) => doc);
  run.report.rowsReturned = documents.length;
  const last = documents[documents.length - 1];
  const next = more && last !== undefined && remaining - documents.length > 0 ? { after: cursorOf(last, spec.order), returned: returned + documents.length, anchorVersion: last.version } : null;
  return { documents, next, report: run.report };
}

/**
 * Streams every result of `spec` in order; returns the report when done.
 * With `state`, continues after `state.after` with `state.returned`
 * documents already sent (the offset already skipped): how a stream goes on
 * over a new routing table after a resharding's cutover.
 */
export async function* streamQuery(shards: QueryShards, spec: QuerySpec, options: ExecuteOptions, state: PageState | null = null): AsyncGenerator<StoredDocument, QueryReport> {
  const run = startRun(shards, spec, options);
  const skip = state === null ? spec.offset : 0;
  let seen = 0;
  let sent = state?.returned ?? 0;
  for await (const doc of run.merged(state?.after ?? null, { first: Math.min(STREAM_FIRST_BATCH_ROWS, skip + (spec.limit ?? Infinity) - sent + 1), max: SHARD_BATCH_ROWS_MAX })) {
    if (++seen <= skip) continue;
    if (spec.limit !== null && sent >= spec.limit) break;
    sent++;
    run.report.rowsReturned = sent;
    yield doc;
  }
  return run.report;
}

/** Runs an aggregation: partials on every shard, merged here. */
export async function runAggregation(
  shards: QueryShards,
  spec: Pick<QuerySpec, "collection" | "filter" | "rule">,
  groupBy: readonly FieldPath[],
  aggregations: readonly AggregateSpec[],
  options: ExecuteOptions,
): Promise<{ groups: AggregateGroup[]; report: QueryReport }> {
  const run = startRun(shards, { ...spec, order: [], limit: null, offset: 0, select: null }, options);
  const merged: PartialGroups = new Map();
  await Promise.all(
    run.queried.map((shard) =>
      run.call(shard, async (rowsReadMax) => {
        const result = await shards.aggregate(shard, { collection: spec.collection, filter: spec.filter, groupBy, aggregations, rowsReadMax, explain: options.explain, rule: spec.rule ?? null });
        if (result.ok) merge(merged, result.groups);
        return { result, returned: result.ok ? result.groups.length : 0 };
      }),
    ),
  );
  const groups = finish(merged, groupBy.length, aggregations);
  run.report.rowsReturned = groups.length;
  return { groups, report: run.report };
}

/** The refusal of a query that read more than `budget` rows over its shards. */
function overBudget(budget: number): FailureError {
  return new FailureError("resource_exhausted", `the query read more than QUERY_ROWS_READ_MAX (${budget}) rows over its shards; narrow the filter or add a secondary index that serves it`);
}

type ShardOutcome = { ok: true; rowsRead: number; explain: ShardExplain | null } | { ok: false; kind: FailureError["kind"]; message: string; rowsRead: number };

/** The shared machinery of one execution: shard selection, budget, deadline, report. */
function startRun(shards: QueryShards, spec: QuerySpec, options: ExecuteOptions) {
  // The rule narrows pruning too: a rule that pins ids (`resource.id == ...`) skips other shards.
  const { queried, pruned } = selectShards(shards, spec.collection, ruleFiltered(spec.filter, spec.rule));
  const prunedSet = new Set(pruned);
  const reports = new Map<string, ShardReport>(
    shards.shards.map((s) => [s, { shard: s, pruned: prunedSet.has(s), index: "", sqlPlan: "", rowsRead: 0, rowsReturned: 0 }]),
  );
  const report: QueryReport = {
    shardsTotal: shards.shards.length,
    shardsQueried: queried.length,
    routingVersion: shards.routingVersion,
    shards: [...reports.values()],
    rowsReturned: 0,
    rule: spec.rule === null || spec.rule === undefined ? null : ruleReport(spec.rule, "all"),
  };
  const budget = options.rowsReadMax ?? QUERY_ROWS_READ_MAX;
  let rowsRead = 0;
  const limit = createLimiter(QUERY_FANOUT_CONCURRENCY_MAX);
  // Each call may read what the query has left; the total is checked as replies arrive.
  const call = <R extends { result: ShardOutcome; returned: number }>(shard: string, fn: (rowsReadMax: number) => Promise<R>): Promise<R> =>
    limit(async () => {
      const r = await withinDeadline(fn(Math.max(budget - rowsRead, 0)), options.deadline);
      rowsRead += r.result.rowsRead;
      const shardReport = reports.get(shard)!;
      shardReport.rowsRead += r.result.rowsRead;
      shardReport.rowsReturned += r.returned;
      // Past the budget (always so when a shard failed for its share of it),
      // the refusal names only the limit: a shard's "remaining budget"
      // would count the rows other shards read, rows a read rule hides too.
      if (rowsRead > budget) throw overBudget(budget);
      if (!r.result.ok) throw new FailureError(r.result.kind, r.result.message);
      if (r.result.explain !== null && shardReport.sqlPlan === "") {
        shardReport.sqlPlan = r.result.explain.sqlPlan;
        shardReport.index = r.result.explain.indexes.join(",");
      }
      return r;
    });
  const merged = (after: QueryCursor | null, sizes: BatchSizes) =>
    mergeSources(
      queried.map((shard) => ({
        after,
        fetch: async (from: QueryCursor | null, size: number) => {
          const { result } = await call(shard, async (rowsReadMax) => {
            const res = await shards.query(shard, {
              collection: spec.collection,
              filter: spec.filter,
              order: spec.order,
              after: from,
              limit: size,
              rowsReadMax,
              explain: options.explain && from === after,
              rule: spec.rule ?? null,
            });
            return { result: res, returned: res.ok ? res.documents.length : 0 };
          });
          if (!result.ok) throw new Error("invariant broken: failed shard results throw");
          return result as Extract<ShardQueryResult, { ok: true }>;
        },
      })),
      spec.order,
      sizes,
    );
  return { queried, report, call, merged };
}
