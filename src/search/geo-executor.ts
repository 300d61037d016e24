/**
 * The Worker's side of a geo search (near or within, no text): every shard
 * returns its documents inside the region that the query's filter and the
 * caller's read rule admit, in (distance, id) order after the page's
 * cursor (shard-geo.ts); the Worker merges them (geo-merge.ts), applies
 * offset and limit, and resumes pages after the last (distance, id)
 * returned, never by re-skipping. With `within` every distance is 0, so
 * the order is the id order.
 *
 * Geo conditions cannot prune shards (a document's shard is chosen by its
 * id, not its place), so every shard is asked.
 */
import { fillPage } from "../query/page-fill.js";
import { FailureError } from "../errors.js";
import { QUERY_FANOUT_CONCURRENCY_MAX, QUERY_ROWS_READ_MAX, SHARD_BATCH_ROWS_MAX, STREAM_FIRST_BATCH_ROWS } from "../limits.js";
import { createLimiter, withinDeadline } from "../query/fan-out.js";
import type { ExecuteOptions, QueryReport, QuerySpec, ShardReport } from "../query/executor.js";
import { ruleReport } from "../rules/read-rule.js";
import type { GeoCursor } from "./geo/geo-sql.js";
import type { GeoRegion } from "./geo/region.js";
import { cursorOf, mergeGeo, type GeoDocument } from "./geo-merge.js";
import type { ShardGeoRequest, ShardGeoResult } from "./shard-geo.js";

/** The shards of a geo search, however they are reached (Durable Objects, or node:sqlite in tests). */
export interface GeoShards {
  readonly shards: readonly string[];
  readonly routingVersion: number;
  geoSearch(shard: string, req: ShardGeoRequest): Promise<ShardGeoResult>;
}

/** Where a geo page walk stands: after `after`, with `returned` documents sent so far. */
export interface GeoPageState {
  readonly after: GeoCursor;
  readonly returned: number;
}

/** A page of a geo search. */
export interface GeoPage {
  readonly documents: GeoDocument[];
  readonly next: GeoPageState | null;
  readonly report: QueryReport;
  /** Geo index entries read over all shards before the exact check. */
  readonly candidates: number;
}

/** Runs one page of a geo search, continuing from `state` when given. */
export async function runGeoPage(shards: GeoShards, spec: QuerySpec, region: GeoRegion, pageSize: number, state: GeoPageState | null, options: ExecuteOptions): Promise<GeoPage> {
  assertGeoSpec(spec);
  const run = startGeo(shards, spec, region, options);
  const skip = state === null ? spec.offset : 0;
  const returned = state?.returned ?? 0;
  const remaining = spec.limit === null ? Infinity : spec.limit - returned;
  const want = Math.min(pageSize, remaining);
  // An async generator: nothing is fetched unless fillPage reads it.
  const source = run.merged(state?.after ?? null, Math.min(skip + want + 1, SHARD_BATCH_ROWS_MAX));
  const { items: documents, more } = await fillPage(source, skip, want, options.pageBytes, (hit) => hit.doc);
  run.report.rowsReturned = documents.length;
  const last = documents[documents.length - 1];
  const next = more && last !== undefined && remaining - documents.length > 0 ? { after: cursorOf(last), returned: returned + documents.length } : null;
  return { documents, next, report: run.report, candidates: run.candidates() };
}

/**
 * Streams every result of a geo search in (distance, id) order; returns the
 * report and the candidates read when done. With `resume` (a stream that
 * met a resharding's cutover, going on over the new table), it goes on
 * strictly after `resume.after`, the offset already skipped and
 * `resume.returned` documents already sent.
 */
export async function* streamGeo(
  shards: GeoShards,
  spec: QuerySpec,
  region: GeoRegion,
  options: ExecuteOptions,
  resume: Pick<GeoPageState, "after" | "returned"> | null = null,
): AsyncGenerator<GeoDocument, { report: QueryReport; candidates: number }> {
  assertGeoSpec(spec);
  const run = startGeo(shards, spec, region, options);
  let seen = resume === null ? 0 : spec.offset;
  let sent = resume?.returned ?? 0;
  const wanted = resume === null ? spec.offset + (spec.limit ?? Infinity) + 1 : (spec.limit ?? Infinity) - sent + 1;
  if (spec.limit !== 0) {
    for await (const hit of run.merged(resume?.after ?? null, Math.min(STREAM_FIRST_BATCH_ROWS, Math.max(1, wanted)))) {
      if (++seen <= spec.offset) continue;
      if (spec.limit !== null && sent >= spec.limit) break;
      sent++;
      run.report.rowsReturned = sent;
      yield hit;
    }
  }
  return { report: run.report, candidates: run.candidates() };
}

/** A geo search orders by (distance, id); the caller refuses an order_by before it gets here. */
function assertGeoSpec(spec: QuerySpec): void {
  if (spec.order.length > 0) throw new Error("invariant broken: a geo search has no order_by");
}

function startGeo(shards: GeoShards, spec: QuerySpec, region: GeoRegion, options: ExecuteOptions) {
  const reports: ShardReport[] = shards.shards.map((s) => ({ shard: s, pruned: false, index: "search geo", sqlPlan: "", rowsRead: 0, rowsReturned: 0 }));
  const report: QueryReport = {
    shardsTotal: shards.shards.length,
    shardsQueried: shards.shards.length,
    routingVersion: shards.routingVersion,
    shards: reports,
    rowsReturned: 0,
    rule: spec.rule === null || spec.rule === undefined ? null : ruleReport(spec.rule, "readable"),
  };
  const budget = options.rowsReadMax ?? QUERY_ROWS_READ_MAX;
  let rowsRead = 0;
  let candidates = 0;
  const limit = createLimiter(QUERY_FANOUT_CONCURRENCY_MAX);
  const merged = (after: GeoCursor | null, first: number) =>
    mergeGeo(
      shards.shards.map((shard, i) => async (from: GeoCursor | null, size: number) =>
        limit(async () => {
          const result = await withinDeadline(
            shards.geoSearch(shard, {
              collection: spec.collection,
              region,
              filter: spec.filter,
              rule: spec.rule ?? null,
              after: from,
              limit: size,
              rowsReadMax: Math.max(budget - rowsRead, 0),
            }),
            options.deadline,
          );
          rowsRead += result.rowsRead;
          reports[i]!.rowsRead += result.rowsRead;
          if (!result.ok) throw new FailureError(result.kind, result.message);
          candidates += result.candidates;
          reports[i]!.rowsReturned += result.documents.length;
          reports[i]!.sqlPlan = `R*Tree ${region.kind}: ${region.boxes.length} box(es), ${result.candidates} candidates, exact ${region.kind === "near" ? "haversine" : region.kind === "box" ? "box" : "point-in-polygon"} check`;
          if (rowsRead > budget) throw new FailureError("resource_exhausted", `the geo search read more than QUERY_ROWS_READ_MAX (${budget}) rows`);
          return result;
        }),
      ),
      after,
      first,
      SHARD_BATCH_ROWS_MAX,
    );
  return { report, merged, candidates: () => candidates };
}
