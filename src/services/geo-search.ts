/**
 * RunQuery and StreamQuery for a query whose search clause has a geo
 * condition and no text: the shards of the current routing table as
 * `GeoShards`, page tokens that resume after the last (distance, id), the
 * hits (SearchHit.distance_meters) and Explain's SearchPlan.geo_candidates.
 * The query's filter, read rule, select, offset and limit apply as for any
 * query; the order is distance then id (id alone for within), and an
 * order_by is refused.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { DocumentSchema, type Document } from "../../gen/impossibledb/v1/document_pb.js";
import type { Query, QueryPlan } from "../../gen/impossibledb/v1/query_pb.js";
import type { RunQueryResponseSchema, StreamQueryResponseSchema } from "../../gen/impossibledb/v1/query_service_pb.js";
import { SearchHitSchema, SearchPlanSchema, type SearchHit } from "../../gen/impossibledb/v1/search_pb.js";
import type { Env } from "../env.js";
import { FailureError } from "../errors.js";
import { RESPONSE_BYTES_MAX } from "../limits.js";
import { decodePageToken, encodePageToken } from "../pagination/page-token.js";
import { assertPageTokenSemantics, filterSemanticsStamp } from "../query/token-semantics.js";
import type { QueryReport, QuerySpec } from "../query/executor.js";
import { queryScope } from "../query/page-state.js";
import { geoRegionFrom } from "../search/geo-query.js";
import { runGeoPage, streamGeo, type GeoPageState, type GeoShards } from "../search/geo-executor.js";
import { cursorOf } from "../search/geo-merge.js";
import type { GeoCondition, GeoRegion } from "../search/geo/region.js";
import { recordQueryReport } from "../server/request-stats.js";
import { awaitMoved } from "../server/routing-retry.js";
import { readFromShard } from "../shards/shard-client.js";
import { currentRouting } from "../shards/routing-cache.js";
import type { StoredDocument } from "../storage/types.js";
import { untilUnblocked } from "../sync/intent-resolver.js";
import { toDocument } from "./convert.js";
import { queryDeadline } from "./query-shards.js";
import { encodedBytes } from "./response-budget.js";

/** A geo query, parsed: the query spec and its checked region. */
export interface GeoQuery {
  readonly spec: QuerySpec;
  readonly condition: GeoCondition;
  readonly region: GeoRegion;
}

/** The shards of the current routing table, for geo searches. */
export async function routedGeoShards(env: Env): Promise<GeoShards> {
  const { table } = await currentRouting(env);
  return {
    shards: table.shards,
    routingVersion: table.version,
    // Blocked while a transaction holds write intents in the collection, as queries are.
    geoSearch: (shard, req) => untilUnblocked(env, shard, () => readFromShard(env, shard, (s) => s.geoSearch(req, table.version))),
  };
}

/**
 * The geo query of a request, or null when its search clause has no geo
 * condition or has text. INVALID_ARGUMENT for a bad condition, or for an
 * order_by (results come nearest first; for within, by id).
 */
export function geoQueryFrom(query: Query, spec: QuerySpec): GeoQuery | null {
  // With text, the text search runs the query (search-request.ts).
  if (query.search === undefined || query.search.text !== "") return null;
  const geo = geoRegionFrom(query.search);
  if (geo === null) return null;
  if (spec.order.length > 0) {
    throw new FailureError("invalid_argument", "order_by cannot be combined with search.near or search.within: results come nearest first (within: by id)");
  }
  return { spec, ...geo };
}

/** One page of a geo query, as RunQuery answers it. */
export async function runGeoQuery(
  ctx: HandlerContext,
  env: Env,
  geo: GeoQuery,
  request: { pageSize: number; pageToken: string; explain: boolean; key: string },
  toPlan: (report: QueryReport) => QueryPlan,
): Promise<MessageInitShape<typeof RunQueryResponseSchema>> {
  const scope = await geoScope(geo);
  const state = request.pageToken === "" ? null : await decodeGeoState(request.key, scope, request.pageToken);
  const shards = await routedGeoShards(env);
  const wire = new Map<StoredDocument, Document>();
  const wireOf = (d: StoredDocument): Document => {
    let doc = wire.get(d);
    if (doc === undefined) wire.set(d, (doc = toDocument(d, geo.spec.select)));
    return doc;
  };
  const pageBytes = { max: RESPONSE_BYTES_MAX, sizeOf: (d: StoredDocument) => encodedBytes(DocumentSchema, wireOf(d)) };
  const page = await runGeoPage(shards, geo.spec, geo.region, request.pageSize, state, { deadline: queryDeadline(ctx), explain: request.explain, pageBytes });
  recordQueryReport(ctx, page.report);
  const plan = request.explain ? toPlan(page.report) : undefined;
  if (plan !== undefined) plan.search = create(SearchPlanSchema, { geoCandidates: BigInt(page.candidates) });
  return {
    documents: page.documents.map((d) => wireOf(d.doc)),
    hits: page.documents.map((d) => hitOf(d.distanceMeters)),
    nextPageToken: page.next === null ? "" : await encodePageToken(request.key, scope, { d: page.next.after.distanceMeters, i: page.next.after.id, n: page.next.returned, ...filterSemanticsStamp() }),
    plan,
  };
}

/** Every result of a geo query, as StreamQuery sends them. */
export async function* streamGeoQuery(
  ctx: HandlerContext,
  env: Env,
  geo: GeoQuery,
  explain: boolean,
  toPlan: (report: QueryReport) => QueryPlan,
): AsyncGenerator<MessageInitShape<typeof StreamQueryResponseSchema>> {
  // Across a resharding's cutover the stream goes on over the new table
  // after the last document sent (see streamSearchQuery).
  let resume = null as GeoPageState | null;
  for (let attempt = 0; ; attempt++) {
    const options = { deadline: queryDeadline(ctx), explain };
    try {
      const results = streamGeo(await routedGeoShards(env), geo.spec, geo.region, options, resume);
      for (;;) {
        const next = await results.next();
        if (next.done) {
          recordQueryReport(ctx, next.value.report);
          if (explain) {
            const plan = toPlan(next.value.report);
            plan.search = create(SearchPlanSchema, { geoCandidates: BigInt(next.value.candidates) });
            yield { result: { case: "plan", value: plan } };
          }
          return;
        }
        resume = { after: cursorOf(next.value), returned: (resume?.returned ?? 0) + 1 };
        yield { result: { case: "document", value: toDocument(next.value.doc, geo.spec.select) }, hit: hitOf(next.value.distanceMeters) };
      }
    } catch (err) {
      await awaitMoved(env, err, attempt);
    }
  }
}

function hitOf(distanceMeters: number): SearchHit {
  return create(SearchHitSchema, { distanceMeters });
}

/** A geo query's token scope: the query's own, and its condition. */
async function geoScope(geo: GeoQuery): Promise<string> {
  const base = await queryScope(geo.spec);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify([base, geo.condition]))));
  return `geo:${[...digest.subarray(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

async function decodeGeoState(key: string, scope: string, token: string): Promise<GeoPageState> {
  const decoded = await decodePageToken(key, scope, token);
  if (!decoded.ok) throw new FailureError(decoded.kind, decoded.message);
  assertPageTokenSemantics(decoded.payload);
  const p = decoded.payload as { d?: unknown; i?: unknown; n?: unknown };
  if (typeof p.d !== "number" || !Number.isFinite(p.d) || p.d < 0 || typeof p.i !== "string" || !Number.isSafeInteger(p.n) || (p.n as number) < 0) {
    throw new FailureError("invalid_argument", "page_token is invalid");
  }
  return { after: { distanceMeters: p.d, id: p.i }, returned: p.n as number };
}
