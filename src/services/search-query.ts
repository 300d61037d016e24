/**
 * RunQuery and StreamQuery with a text search (`Query.search`): the two
 * passes of src/search/search-executor.ts, hits parallel to the documents
 * (score, and highlights when asked), page tokens that resume after the
 * last (score, id), and Explain's SearchPlan.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { DocumentSchema, type Document } from "../../gen/impossibledb/v1/document_pb.js";
import type { QueryPlan } from "../../gen/impossibledb/v1/query_pb.js";
import type { RunQueryResponseSchema, StreamQueryResponseSchema } from "../../gen/impossibledb/v1/query_service_pb.js";
import { SearchHitSchema, SearchPlanSchema, SearchTermStatsSchema, type SearchHit } from "../../gen/impossibledb/v1/search_pb.js";
import { FailureError } from "../errors.js";
import { PAGE_TOKEN_LENGTH_MAX, RESPONSE_BYTES_MAX } from "../limits.js";
import type { QueryReport, QuerySpec } from "../query/executor.js";
import { decodePageToken, encodePageToken } from "../pagination/page-token.js";
import { assertPageTokenSemantics, filterSemanticsStamp } from "../query/token-semantics.js";
import { highlights } from "../search/highlight.js";
import { frozenOf, planTerms, runSearchPage, searchStatistics, streamSearch, type SearchPageState, type SearchPlanData, type TextSearch } from "../search/search-executor.js";
import type { ScoredDocument } from "../search/search-merge.js";
import { envOf } from "../server/context.js";
import { awaitMoved } from "../server/routing-retry.js";
import { project } from "../storage/projection.js";
import { recordQueryReport } from "../server/request-stats.js";
import type { StoredDocument } from "../storage/types.js";
import { toDocument } from "./convert.js";
import { pageTokenKey } from "./list-documents.js";
import { queryDeadline, routedSearchShards } from "./query-shards.js";
import { encodedBytes } from "./response-budget.js";

/** A query's search, as the service runs it. */
export type ServiceSearch = TextSearch & { readonly text: string; readonly highlight: boolean };

/** One page of a search. */
export async function runSearchQuery(
  ctx: HandlerContext,
  spec: QuerySpec,
  search: ServiceSearch,
  pageSize: number,
  pageToken: string,
  explain: boolean,
  toPlan: (report: QueryReport) => QueryPlan,
): Promise<MessageInitShape<typeof RunQueryResponseSchema>> {
  const env = envOf(ctx);
  const key = pageTokenKey(env);
  const scope = await searchScope(spec, search);
  const reader = await readerScope(spec);
  const state = pageToken === "" ? null : await decodeSearchState(key, scope, reader, pageToken);
  const shards = await routedSearchShards(env);
  const wire = new Map<StoredDocument, Document>();
  const wireOf = (d: StoredDocument): Document => {
    let doc = wire.get(d);
    if (doc === undefined) wire.set(d, (doc = toDocument(d, spec.select)));
    return doc;
  };
  const pageBytes = { max: RESPONSE_BYTES_MAX, sizeOf: (d: StoredDocument) => encodedBytes(DocumentSchema, wireOf(d)) };
  const page = await runSearchPage(shards, spec, search, pageSize, state, { deadline: queryDeadline(ctx), explain, pageBytes });
  recordQueryReport(ctx, page.report);
  return {
    documents: page.documents.map((d) => wireOf(d.doc)),
    hits: page.documents.map((d) => hitOf(d, search, page.plan, spec.select)),
    nextPageToken: page.next === null ? "" : await encodeSearchState(key, scope, reader, page.next),
    plan: explain ? withSearchPlan(toPlan(page.report), page.plan) : undefined,
  };
}

/** Every result of a search, each with its hit; the plan last when asked. */
export async function* streamSearchQuery(
  ctx: HandlerContext,
  spec: QuerySpec,
  search: ServiceSearch,
  explain: boolean,
  toPlan: (report: QueryReport) => QueryPlan,
): AsyncGenerator<MessageInitShape<typeof StreamQueryResponseSchema>> {
  const env = envOf(ctx);
  // A stream may meet a resharding's cutover after it has sent documents:
  // it goes on over the new table after the last one sent, scoring with the
  // statistics it began with (as a page token's walk does), rather than
  // failing UNAVAILABLE.
  let resume = null as SearchPageState | null;
  for (let attempt = 0; ; attempt++) {
    // Each resume gets QUERY_DEADLINE_MS again (the caller's own deadline still bounds the call).
    const options = { deadline: queryDeadline(ctx), explain };
    try {
      const shards = await routedSearchShards(env);
      const plan = await searchStatistics(shards, spec, search, options, resume?.frozen);
      const frozen = frozenOf(plan);
      const results = streamSearch(shards, spec, plan, options, resume);
      for (;;) {
        const next = await results.next();
        if (next.done) {
          recordQueryReport(ctx, next.value);
          if (explain) yield { result: { case: "plan", value: withSearchPlan(toPlan(next.value), plan) } };
          return;
        }
        resume = { after: { score: next.value.score, id: next.value.doc.id }, returned: (resume?.returned ?? 0) + 1, frozen };
        yield { result: { case: "document", value: toDocument(next.value.doc, spec.select) }, hit: hitOf(next.value, search, plan, spec.select) };
      }
    } catch (err) {
      await awaitMoved(env, err, attempt);
    }
  }
}

/**
 * A result's hit. Highlights are taken from the fields the query returns
 * (its `select`, when it has one), so a hit never shows text the document
 * it comes with leaves out.
 */
function hitOf(hit: ScoredDocument, search: ServiceSearch, plan: SearchPlanData, select: QuerySpec["select"]): SearchHit {
  const data = select === null ? hit.doc.data : project(hit.doc.data, select);
  return create(SearchHitSchema, {
    score: hit.score,
    distanceMeters: hit.distanceMeters ?? 0,
    highlights: search.highlight ? highlights(plan.textFields, plan.compiled, hit.doc.id, data) : {},
  });
}

function withSearchPlan(plan: QueryPlan, data: SearchPlanData): QueryPlan {
  plan.search = create(SearchPlanSchema, {
    compiled: data.compiled.match,
    documentsTotal: BigInt(data.documents),
    averageLength: data.averageLength,
    terms: planTerms(data).map((t) => create(SearchTermStatsSchema, { term: t.term, documents: BigInt(t.documents) })),
    statsRowsRead: BigInt(data.statsRowsRead),
    geoCandidates: BigInt(data.geoCandidates),
  });
  return plan;
}

/** The scope of a search's page tokens: a digest of the parsed query and its search. */
async function searchScope(spec: QuerySpec, search: ServiceSearch): Promise<string> {
  const text = JSON.stringify([spec.collection, spec.filter, spec.limit, spec.offset, spec.select, search.node, search.exact, search.highlight, search.geo ?? null]);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return `search:${[...digest.subarray(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * Whose statistics a search page token holds: "" for a caller no read
 * rule binds (every such caller sees the whole collection), else a digest
 * of what decides which documents the caller may read: the rule with the
 * caller's claims substituted (its pushed filter), and, when shards also
 * evaluate the rule per document, its source, claims and method. A token
 * carries the first page's statistics (N, each phrase's document count,
 * the typo variants), which for an admin count documents a rule-bound
 * caller may not read, and the reverse; so a token is honoured only for
 * the readers it was made for (issue 11). Two callers with the same
 * readable documents share a scope, and a token stays valid across a
 * refreshed JWT when the rule is pushed whole (its filter names only the
 * claims it reads).
 */
async function readerScope(spec: QuerySpec): Promise<string> {
  const rule = spec.rule ?? null;
  if (rule === null) return "";
  const text = JSON.stringify(rule.exact ? [rule.filter] : [rule.filter, rule.source, rule.authJson, rule.method]);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return [...digest.subarray(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A search page token: the cursor (score, id), the count returned so far,
 * the first page's statistics (FrozenSearchStats) so that later pages
 * score the same way, the fingerprint of the index definition they were
 * scored under (a redefined index refuses the token), and the reader scope they were counted for
 * (`readerScope`). The typo variants are left out when they would make
 * the token longer than PAGE_TOKEN_LENGTH_MAX; a later page then rebuilds
 * them and checks the compiled query's fingerprint.
 */
async function encodeSearchState(key: string, scope: string, reader: string, state: SearchPageState): Promise<string> {
  const f = state.frozen!;
  const payload = {
    s: state.after.score,
    i: state.after.id,
    n: state.returned,
    d: f.documents,
    t: f.tokens,
    p: f.phraseDocuments,
    c: f.compiled,
    ...(f.index === undefined ? {} : { ix: f.index }),
    ...(reader === "" ? {} : { r: reader }),
    ...filterSemanticsStamp(),
  };
  const whole = await encodePageToken(key, scope, { ...payload, x: f.expansions });
  return whole.length <= PAGE_TOKEN_LENGTH_MAX ? whole : encodePageToken(key, scope, payload);
}

async function decodeSearchState(key: string, scope: string, reader: string, token: string): Promise<SearchPageState> {
  const decoded = await decodePageToken(key, scope, token);
  if (!decoded.ok) throw new FailureError(decoded.kind, decoded.message);
  assertPageTokenSemantics(decoded.payload);
  const p = decoded.payload as { s?: unknown; i?: unknown; n?: unknown; d?: unknown; t?: unknown; p?: unknown; c?: unknown; x?: unknown; r?: unknown; ix?: unknown };
  // Signed, so only the server wrote `r`; absent means a caller no rule binds.
  if ((p.r ?? "") !== reader) {
    throw new FailureError(
      "invalid_argument",
      "page_token was issued to a caller who may read other documents of this collection (another caller, or other read rules); search tokens hold statistics of the documents their caller may read, so run the search again without page_token",
    );
  }
  const counts = Array.isArray(p.p) && p.p.every((n) => Number.isSafeInteger(n) && (n as number) >= 0);
  const expansions = p.x === undefined ? null : expansionsOf(p.x);
  if (
    typeof p.s !== "number" || !Number.isFinite(p.s) || typeof p.i !== "string" || !Number.isSafeInteger(p.n) ||
    !Number.isSafeInteger(p.d) || !Number.isSafeInteger(p.t) || !counts || typeof p.c !== "string" || expansions === undefined ||
    (p.ix !== undefined && typeof p.ix !== "string")
  ) {
    throw new FailureError("invalid_argument", "page_token is invalid");
  }
  const frozen = { documents: p.d as number, tokens: p.t as number, phraseDocuments: p.p as number[], compiled: p.c, expansions, ...(typeof p.ix === "string" ? { index: p.ix } : {}) };
  return { after: { score: p.s, id: p.i }, returned: p.n as number, frozen };
}

/** The typo variants of a token, or undefined when malformed. */
function expansionsOf(value: unknown): Record<string, string[]> | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const out: Record<string, string[]> = {};
  for (const [term, words] of Object.entries(value)) {
    if (!Array.isArray(words) || !words.every((w) => typeof w === "string")) return undefined;
    Object.defineProperty(out, term, { value: words as string[], enumerable: true, writable: true, configurable: true });
  }
  return out;
}
