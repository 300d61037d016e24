/**
 * QueryService: RunQuery (a page at a time), StreamQuery (every result, sent
 * as the shards' results merge) and RunAggregationQuery, over the query
 * engine in `src/query/`.
 */
import { typedFromJson } from "../values/proto-typed.js";
import { integerLeaf } from "../values/typed.js";
import { create } from "@bufbuild/protobuf";
import { DocumentSchema, type Document } from "../../gen/impossibledb/v1/document_pb.js";
import type { ServiceImpl } from "@connectrpc/connect";
import { AggregationGroupSchema, QueryPlanSchema, RulePlanSchema, ShardPlanSchema, type QueryPlan } from "../../gen/impossibledb/v1/query_pb.js";
import type { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import { FailureError } from "../errors.js";
import { PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX, RESPONSE_BYTES_MAX } from "../limits.js";
import { runAggregation, runQueryPage, streamQuery, type PageState, type QueryReport } from "../query/executor.js";
import { cursorOf } from "../query/order.js";
import { awaitMoved } from "../server/routing-retry.js";
import { decodePageState, encodePageState, queryScope, resolvePageState } from "../query/page-state.js";
import { createAnchorReader } from "../query/anchor.js";
import { valueFromJson } from "../query/proto-values.js";
import { aggregationSpecFrom, querySpecFrom } from "../query/query-spec.js";
import { envOf } from "../server/context.js";
import { recordQueryReport } from "../server/request-stats.js";
import { toDocument } from "./convert.js";
import { runListen } from "./listen-service.js";
import { encodedBytes } from "./response-budget.js";
import { pageTokenKey } from "./list-documents.js";
import { queryDeadline, routedQueryShards } from "./query-shards.js";
import type { StoredDocument } from "../storage/types.js";
import { queryReadRule } from "../rules/request-rules.js";
import { textSearchFrom } from "../search/search-request.js";
import { runSearchQuery, streamSearchQuery } from "./search-query.js";
import { geoQueryFrom, runGeoQuery, streamGeoQuery } from "./geo-search.js";

/** Creates the QueryService implementation. */
export function createQueryService(): ServiceImpl<typeof QueryService> {
  return {
    async runQuery(req, ctx) {
      const env = envOf(ctx);
      if (req.query === undefined) throw new FailureError("invalid_argument", "query is required");
      const spec = { ...querySpecFrom(req.query), rule: await queryReadRule(ctx, req.query.collection) };
      const pageSize = req.pageSize || PAGE_SIZE_DEFAULT;
      if (pageSize < 1 || pageSize > PAGE_SIZE_MAX) throw new FailureError("invalid_argument", `page_size must be 1 to ${PAGE_SIZE_MAX}`);
      // Search: near or within without text (services/geo-search.ts), then text.
      const geo = geoQueryFrom(req.query, spec);
      if (geo !== null) return runGeoQuery(ctx, env, geo, { pageSize, pageToken: req.pageToken, explain: req.explain, key: pageTokenKey(env) }, toPlan);
      const search = textSearchFrom(req.query);
      if (search !== null) return runSearchQuery(ctx, spec, search, pageSize, req.pageToken, req.explain, toPlan);
      const key = pageTokenKey(env);
      const scope = await queryScope(spec);
      const token = req.pageToken === "" ? null : await decodePageState(key, scope, spec, req.pageToken);
      const shards = await routedQueryShards(env);
      const deadline = queryDeadline(ctx);
      // A token whose long sort keys were cut recovers them from its anchor (query/page-state.ts).
      const state = token === null ? null : await resolvePageState(token, spec, createAnchorReader(shards, spec, { deadline }));
      // A page ends early at RESPONSE_BYTES_MAX of encoded documents, so it
      // fits a default gRPC client; the page token continues after it.
      // Each document is converted to its wire form once: measured here, sent below.
      const wire = new Map<StoredDocument, Document>();
      const wireOf = (d: StoredDocument): Document => {
        let doc = wire.get(d);
        if (doc === undefined) wire.set(d, (doc = toDocument(d, spec.select)));
        return doc;
      };
      const pageBytes = { max: RESPONSE_BYTES_MAX, sizeOf: (d: StoredDocument) => encodedBytes(DocumentSchema, wireOf(d)) };
      const page = await runQueryPage(shards, spec, pageSize, state, { deadline, explain: req.explain, pageBytes });
      recordQueryReport(ctx, page.report);
      return {
        documents: page.documents.map(wireOf),
        nextPageToken: page.next === null ? "" : await encodePageState(key, scope, page.next),
        plan: req.explain ? toPlan(page.report) : undefined,
      };
    },

    async *streamQuery(req, ctx) {
      const env = envOf(ctx);
      if (req.query === undefined) throw new FailureError("invalid_argument", "query is required");
      const spec = { ...querySpecFrom(req.query), rule: await queryReadRule(ctx, req.query.collection) };
      // Search: near or within without text (services/geo-search.ts), then text.
      const geo = geoQueryFrom(req.query, spec);
      if (geo !== null) {
        yield* streamGeoQuery(ctx, env, geo, req.explain, toPlan);
        return;
      }
      const search = textSearchFrom(req.query);
      if (search !== null) {
        yield* streamSearchQuery(ctx, spec, search, req.explain, toPlan);
        return;
      }
      // A stream may meet a resharding's cutover after it has sent
      // documents: it goes on after the last one sent, over the new table
      // (as a page token would), rather than failing UNAVAILABLE.
      let state = null as PageState | null;
      for (let attempt = 0; ; attempt++) {
        // Each resume after a cutover gets QUERY_DEADLINE_MS again (the
        // caller's own deadline still bounds the whole call).
        const results = streamQuery(await routedQueryShards(env), spec, { deadline: queryDeadline(ctx), explain: req.explain }, state);
        try {
          for (;;) {
            const next = await results.next();
            if (next.done) {
              recordQueryReport(ctx, next.value);
              if (req.explain) yield { result: { case: "plan", value: toPlan(next.value) } };
              return;
            }
            state = { after: cursorOf(next.value, spec.order), returned: (state?.returned ?? 0) + 1 };
            yield { result: { case: "document", value: toDocument(next.value, spec.select) } };
          }
        } catch (err) {
          await awaitMoved(env, err, attempt);
        }
      }
    },

    listen(req, ctx) {
      return runListen(req, ctx);
    },

    async runAggregationQuery(req, ctx) {
      const env = envOf(ctx);
      if (req.query === undefined) throw new FailureError("invalid_argument", "query is required");
      const { spec, aggregations, groupBy } = aggregationSpecFrom(req.query, req.aggregations, req.groupBy);
      const shards = await routedQueryShards(env);
      const rule = await queryReadRule(ctx, spec.collection);
      const { groups, report } = await runAggregation(shards, { ...spec, rule }, groupBy, aggregations, { deadline: queryDeadline(ctx), explain: req.explain });
      recordQueryReport(ctx, report);
      const counts = new Set(aggregations.filter((a) => a.fn === "count").map((a) => a.alias));
      const wireGroups = groups.map((g) =>
        create(AggregationGroupSchema, {
          key: g.key.map(valueFromJson),
          results: Object.fromEntries(Object.entries(g.results).map(([alias, v]) => [alias, valueFromJson(v)])),
          typedKey: g.key.map(typedFromJson),
          // A COUNT is an integer (as in Firestore); the JSON form keeps it a number.
          typedResults: Object.fromEntries(Object.entries(g.results).map(([alias, v]) => [alias, typedFromJson(counts.has(alias) && typeof v === "number" ? integerLeaf(BigInt(v)) : v)])),
        }),
      );
      // Groups are not paged: an answer that would not fit a default gRPC
      // client is refused with a reason rather than sent unreadable.
      const groupBytes = wireGroups.reduce((n, g) => n + encodedBytes(AggregationGroupSchema, g), 0);
      if (groupBytes > RESPONSE_BYTES_MAX) {
        throw new FailureError(
          "resource_exhausted",
          `the aggregation's ${wireGroups.length} groups take ${groupBytes} bytes, over RESPONSE_BYTES_MAX (${RESPONSE_BYTES_MAX}); group by fewer or smaller fields, or filter`,
        );
      }
      return { groups: wireGroups, plan: req.explain ? toPlan(report) : undefined };
    },
  };
}

/**
 * The wire form of a query report. A caller whose read rule hides documents
 * gets no shard's rows read (`rule.rows_read_withheld`): they count rows the
 * rule refused, and would tell whether hidden documents match the filter.
 * The report itself keeps them, for the request's log line.
 */
export function toPlan(report: QueryReport): QueryPlan {
  const withheld = report.rule?.rowsReadWithheld === true;
  return create(QueryPlanSchema, {
    shardsTotal: report.shardsTotal,
    shardsQueried: report.shardsQueried,
    rowsReturned: BigInt(report.rowsReturned),
    routingVersion: BigInt(report.routingVersion),
    shards: report.shards.map((s) =>
      create(ShardPlanSchema, {
        shard: s.shard,
        pruned: s.pruned,
        index: s.index,
        sqlPlan: s.sqlPlan,
        rowsRead: withheld ? 0n : BigInt(s.rowsRead),
        rowsReturned: BigInt(s.rowsReturned),
      }),
    ),
    rule: report.rule === null ? undefined : create(RulePlanSchema, report.rule),
  });
}
