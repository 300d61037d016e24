/**
 * Issue 10: after a resharding's cutover, a source releasing its moved rows
 * serves searches routed by the new table, leaving those rows out
 * (StorageObject `searchExcludingMoved`, readable-stats.ts ReadableScope).
 * Before, it refused them as moved until the release ended (about a minute
 * for 100,000 documents), so text and geo searches failed UNAVAILABLE
 * during it. The oracle: a cluster whose shards still hold the moved rows,
 * recorded in `moving_keys`, and leave them out must answer every search
 * exactly as the same cluster without those rows: the same hits in the
 * same order with the same scores (BM25's statistics over the owned rows
 * only), the same typo variants, the same Explain counts and distances.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import { MATCH_ALL } from "../../../src/query/expression.js";
import { runGeoPage } from "../../../src/search/geo-executor.js";
import { compileGeoCondition, type GeoRegion } from "../../../src/search/geo/region.js";
import type { SearchIndexSpec } from "../../../src/search/catalog.js";
import { parseSearchText } from "../../../src/search/query-parser.js";
import { runSearchPage, type SearchShards } from "../../../src/search/search-executor.js";
import type { ShardReadRule } from "../../../src/rules/read-rule.js";
import { memoryCluster, type MemoryCluster } from "../query/memory-shards.js";
import { geoCluster, type GeoCluster } from "./geo/geo-cluster.js";
import { aliceReadRule, minuteDeadline, searchSpec } from "./rule-fixtures.js";

const C = "notes";
const SPEC: SearchIndexSpec = { collection: C, textFields: [{ field: "title", weight: 2 }, { field: "body", weight: 1 }], geoField: "loc" };
const SHARDS = 3;
const MOVING_KEYS_TABLE = "CREATE TABLE IF NOT EXISTS moving_keys (collection TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (collection, id)) WITHOUT ROWID";
const opened: Array<MemoryCluster | GeoCluster> = [];
afterEach(() => {
  while (opened.length > 0) opened.pop()!.close();
});

const WORDS = ["apple", "apples", "banana", "cherry", "orchard", "harvest", "cider", "pie", "tart", "market"];
const docs = Array.from({ length: 90 }, (_, i) => {
  const words = Array.from({ length: 3 + (i % 5) }, (_, j) => WORDS[(i * 7 + j * 3) % WORDS.length]!);
  return {
    id: `d${String(i).padStart(2, "0")}`,
    data: { owner: i % 4 === 0 ? "alice" : "dave", title: words.slice(0, 2).join(" "), body: words.join(" "), loc: { lat: 48.85 + (i % 9) * 0.002, lng: 2.35 + (i % 7) * 0.002 } } as JsonObject,
  };
});
// A third of the documents moved to another shard: still present on their
// source until the release deletes them.
const moved = new Set(docs.filter((_, i) => i % 3 === 1).map((d) => d.id));

/** A text cluster with `held` documents, the moved ones recorded in moving_keys everywhere. */
function textCluster(held: typeof docs): MemoryCluster {
  const c = memoryCluster(SHARDS, C);
  opened.push(c);
  for (const d of held) c.put(d.id, d.data);
  c.createSearchIndex(SPEC);
  for (const shard of c.search.shards) {
    c.sqlOf(shard).exec(MOVING_KEYS_TABLE);
    for (const id of moved) c.sqlOf(shard).exec("INSERT OR IGNORE INTO moving_keys (collection, id) VALUES (?, ?)", C, id);
  }
  return c;
}

/** The shards as a releasing source serves them (StorageObject sets excludeMoved itself). */
function releasing(shards: SearchShards): SearchShards {
  return {
    ...shards,
    searchStats: (shard, req) => shards.searchStats(shard, { ...req, excludeMoved: true }),
    search: (shard, req) => shards.search(shard, { ...req, excludeMoved: true }),
  };
}

async function answer(shards: SearchShards, text: string, rule: ShardReadRule | null = null) {
  const page = await runSearchPage(shards, { ...searchSpec(C), rule }, { node: parseSearchText(text), exact: false }, 1000, null, { deadline: minuteDeadline(), explain: true });
  return {
    hits: page.documents.map((d) => [d.doc.id, d.score]),
    compiled: page.plan.compiled.match,
    n: page.plan.documents,
    counts: page.plan.phraseDocuments,
  };
}

describe("a source releasing moved rows after a cutover", () => {
  const queries = ["apple", "apple pie", '"pie apple"', "orch*", "harvset", "cherry -tart", "(cider OR market) banana", "chery"];

  it("answers text searches exactly as the cluster without the moved rows: hits, scores, typo variants and statistics", async () => {
    const holding = textCluster(docs);
    const without = textCluster(docs.filter((d) => !moved.has(d.id)));
    for (const text of queries) {
      const expected = await answer(without.search, text);
      expect(expected.hits.length, `${text}: ${JSON.stringify(expected)}`).toBeGreaterThan(0);
      expect(await answer(releasing(holding.search), text), text).toEqual(expected);
      // Without leaving them out, the moved rows would be counted twice (here and on their target).
      if (text === "apple") expect((await answer(holding.search, text)).n).toBeGreaterThan(expected.n);
    }
  });

  it("the same for a caller bound by a read rule: both scopes at once", async () => {
    const holding = textCluster(docs);
    const without = textCluster(docs.filter((d) => !moved.has(d.id)));
    const rule = aliceReadRule("resource.data.owner == request.auth.sub", true);
    for (const text of queries.slice(0, 4)) expect(await answer(releasing(holding.search), text, rule), text).toEqual(await answer(without.search, text, rule));
  });

  it("answers geo near exactly as the cluster without the moved rows", async () => {
    const compiled = compileGeoCondition({ kind: "near", center: { lat: 48.85, lng: 2.35 }, radiusMeters: 2_000 });
    if (!compiled.ok) throw new Error(compiled.message);
    const region: GeoRegion = compiled.region;
    const cluster = (held: typeof docs) => {
      const c = geoCluster(SHARDS, C);
      opened.push(c);
      for (const d of held) c.put(d.id, d.data);
      c.createSearchIndex(SPEC);
      c.execEverywhere(MOVING_KEYS_TABLE);
      for (const id of moved) c.execEverywhere("INSERT OR IGNORE INTO moving_keys (collection, id) VALUES (?, ?)", C, id);
      return c;
    };
    const holding = cluster(docs);
    const without = cluster(docs.filter((d) => !moved.has(d.id)));
    const spec = { collection: C, filter: MATCH_ALL, order: [], limit: null, offset: 0, select: null, rule: null };
    const near = async (shards: GeoCluster["shards"]) => {
      const page = await runGeoPage(shards, spec, region, 1000, null, { deadline: minuteDeadline(), explain: false });
      return page.documents.map((d) => [d.doc.id, d.distanceMeters]);
    };
    const expected = await near(without.shards);
    expect(expected.length).toBe(docs.length - moved.size);
    expect(await near({ ...holding.shards, geoSearch: (shard, req) => holding.shards.geoSearch(shard, { ...req, excludeMoved: true }) })).toEqual(expected);
  });
});
