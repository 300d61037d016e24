/**
 * Issue 11 for geo search, in plain Node over 3 in-memory shards: a caller
 * bound by a read rule gets the same answer from near/within (alone, and
 * narrowing a text search) whether documents it cannot read lie in the
 * region or not: the same documents, Explain's geo candidates and rows
 * read, and the same refusals. GEO_CANDIDATES_PER_SHARD_MAX is lowered to
 * 6 and SEARCH_RULE_BOUND_INDEX_DOCUMENTS_MAX to 40 (vi.mock), so a few
 * dozen documents reach them.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FailureError } from "../../../../src/errors.js";
import { MATCH_ALL } from "../../../../src/query/expression.js";
import { compileRuleCached } from "../../../../src/rules/compile.js";
import { shardReadRule, type ShardReadRule } from "../../../../src/rules/read-rule.js";
import { runGeoPage } from "../../../../src/search/geo-executor.js";
import { compileGeoCondition, type GeoRegion } from "../../../../src/search/geo/region.js";
import { parseSearchText } from "../../../../src/search/query-parser.js";
import { runSearchPage } from "../../../../src/search/search-executor.js";
import { memoryCluster, type MemoryCluster } from "../../query/memory-shards.js";
import { geoCluster, type GeoCluster } from "./geo-cluster.js";

vi.mock("../../../../src/limits.js", async (importOriginal) => ({
  ...(await importOriginal<typeof import("../../../../src/limits.js")>()),
  GEO_CANDIDATES_PER_SHARD_MAX: 6,
}));
vi.mock("../../../../src/search/limits.js", async (importOriginal) => ({
  ...(await importOriginal<typeof import("../../../../src/search/limits.js")>()),
  SEARCH_RULE_BOUND_INDEX_DOCUMENTS_MAX: 40,
}));

const C = "places";
const opened: Array<GeoCluster | MemoryCluster> = [];
afterEach(() => {
  while (opened.length > 0) opened.pop()!.close();
});
const deadline = () => ({ atMs: Date.now() + 60_000, now: () => Date.now() });
const spec = { collection: C, filter: MATCH_ALL, order: [], limit: null, offset: 0, select: null };

// Alice's three places and dave's thirty, all within a few hundred meters of the center.
const readable = Array.from({ length: 3 }, (_, i) => ({ id: `a${i}`, data: { owner: "alice", title: "apple stall", loc: { lat: 48.85 + i * 0.001, lng: 2.35 } } as JsonObject }));
const hidden = Array.from({ length: 30 }, (_, i) => ({ id: `h${String(i).padStart(2, "0")}`, data: { owner: "dave", title: "apple cart", loc: { lat: 48.85, lng: 2.35 + i * 0.0001 } } as JsonObject }));
const near: GeoRegion = (() => {
  const compiled = compileGeoCondition({ kind: "near", center: { lat: 48.85, lng: 2.35 }, radiusMeters: 5_000 });
  if (!compiled.ok) throw new Error(compiled.message);
  return compiled.region;
})();

function rule(pushed: boolean): ShardReadRule {
  const compiled = compileRuleCached("resource.data.owner == request.auth.sub", "read");
  if (!compiled.ok) throw new Error(compiled.message);
  const r = shardReadRule(compiled.rule, { sub: "alice" }, "list");
  return pushed ? r : { ...r, filter: MATCH_ALL, exact: false };
}

async function refusalOr<T>(run: () => Promise<T>): Promise<T | { refused: string; message: string }> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof FailureError) return { refused: err.kind, message: err.message };
    throw err;
  }
}

function geoOnly(docs: ReadonlyArray<{ id: string; data: JsonObject }>): GeoCluster {
  const c = geoCluster(3, C);
  opened.push(c);
  c.createSearchIndex({ collection: C, textFields: [], geoField: "loc" });
  for (const d of docs) c.put(d.id, d.data);
  return c;
}

async function geoAnswer(c: GeoCluster, r: ShardReadRule | null) {
  return refusalOr(async () => {
    const page = await runGeoPage(c.shards, { ...spec, rule: r }, near, 100, null, { deadline: deadline(), explain: true });
    return {
      hits: page.documents.map((d) => [d.doc.id, d.distanceMeters]),
      candidates: page.candidates,
      shards: page.report.shards.map((s) => ({ plan: s.sqlPlan, rowsRead: s.rowsRead })),
    };
  });
}

function textAndGeo(docs: ReadonlyArray<{ id: string; data: JsonObject }>): MemoryCluster {
  const c = memoryCluster(3, C);
  opened.push(c);
  for (const d of docs) c.put(d.id, d.data);
  c.createSearchIndex({ collection: C, textFields: [{ field: "title", weight: 1 }], geoField: "loc" });
  return c;
}

async function textAnswer(c: MemoryCluster, r: ShardReadRule | null) {
  return refusalOr(async () => {
    const page = await runSearchPage(c.search, { ...spec, rule: r }, { node: parseSearchText("apple"), exact: false, geo: near }, 100, null, { deadline: deadline(), explain: true });
    return {
      hits: page.documents.map((d) => [d.doc.id, d.score, d.distanceMeters]),
      geoCandidates: page.plan.geoCandidates,
      statsRowsRead: page.plan.statsRowsRead,
      shards: page.report.shards.map((s) => ({ plan: s.sqlPlan, rowsRead: s.rowsRead })),
    };
  });
}

describe("a rule-bound caller's geo search tells nothing of hidden documents", () => {
  for (const pushed of [true, false]) {
    const how = pushed ? "rule pushed into SQL" : "rule evaluated per document";

    it(`near alone: the same places, candidates, rows read and refusals with or without hidden places (${how})`, async () => {
      const bound = await geoAnswer(geoOnly([...readable, ...hidden]), rule(pushed));
      expect(bound).toEqual(await geoAnswer(geoOnly(readable), rule(pushed)));
      expect(bound).toMatchObject({ candidates: 3 });
      // GEO_CANDIDATES_PER_SHARD_MAX is live: a caller who reads everything is refused.
      expect(await geoAnswer(geoOnly([...readable, ...hidden]), null)).toMatchObject({ refused: "resource_exhausted" });
    });

    it(`near narrowing a text search: the same hits, geo candidates and rows read (${how})`, async () => {
      const bound = await textAnswer(textAndGeo([...readable, ...hidden]), rule(pushed));
      expect(bound).toEqual(await textAnswer(textAndGeo(readable), rule(pushed)));
      expect(bound).toMatchObject({ geoCandidates: 3 });
    });
  }

  it("past SEARCH_RULE_BOUND_INDEX_DOCUMENTS_MAX places on a shard, a rule-bound caller's geo search is refused, wherever it looks", async () => {
    // 180 hidden places far from the region, about 60 a shard.
    const far = [1, 2, 3, 4, 5].flatMap((k) => hidden.map((d) => ({ id: `x${k}${d.id}`, data: { ...d.data, loc: { lat: -33.9, lng: 151.2 } } })));
    const many = [...readable, ...hidden, ...far];
    const c = geoOnly(many);
    expect(await geoAnswer(c, rule(true))).toMatchObject({ refused: "resource_exhausted", message: expect.stringContaining("SEARCH_RULE_BOUND_INDEX_DOCUMENTS_MAX (40)") });
    // With text too, even when the text index is small: these places have no text.
    const untitled = far.map((d) => ({ id: d.id, data: { owner: "dave", loc: d.data["loc"]! } as JsonObject }));
    expect(await textAnswer(textAndGeo([...readable, ...untitled]), rule(true))).toMatchObject({ refused: "resource_exhausted", message: expect.stringContaining("SEARCH_RULE_BOUND_INDEX_DOCUMENTS_MAX (40)") });
    expect(await textAnswer(textAndGeo([...readable, ...untitled]), null)).toMatchObject({ geoCandidates: 3 });
  });
});
