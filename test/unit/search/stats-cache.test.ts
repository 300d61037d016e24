/**
 * The Worker's cache of global statistics (src/search/stats-cache.ts): a
 * repeated first page skips its statistics pass, and its ranking is the
 * one a statistics pass would give, including after writes moved some
 * shards' index generations (the page is then run again with both
 * passes). Never for a caller bound by a read rule.
 */
import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import type { JsonObject } from "@bufbuild/protobuf";
import { MATCH_ALL } from "../../../src/query/expression.js";
import { runSearchPage, type SearchShards } from "../../../src/search/search-executor.js";
import { parseSearchText } from "../../../src/search/query-parser.js";
import { SearchStatsCache, statsCacheKey } from "../../../src/search/stats-cache.js";
import type { SearchIndexSpec } from "../../../src/search/catalog.js";
import type { ShardReadRule } from "../../../src/rules/read-rule.js";
import { memoryCluster, type MemoryCluster } from "../query/memory-shards.js";

const COLLECTION = "texts";
const SPEC: SearchIndexSpec = { collection: COLLECTION, textFields: [{ field: "title", weight: 2 }, { field: "body", weight: 1 }], geoField: null };
const spec = { collection: COLLECTION, filter: MATCH_ALL, order: [], limit: null, offset: 0, select: null };
const deadline = () => ({ atMs: Date.now() + 60_000, now: () => Date.now() });
const replay = process.env["SEARCH_ORACLE_SEED"] === undefined ? {} : { seed: Number(process.env["SEARCH_ORACLE_SEED"]), path: process.env["SEARCH_ORACLE_PATH"] };
const opened: MemoryCluster[] = [];
afterEach(() => {
  while (opened.length > 0) opened.pop()!.close();
});

const WORDS = ["apple", "appel", "apples", "banana", "bandana", "cherry", "cheery", "delta", "garden", "harden", "zebra"];
const text = fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 10 }).map((ws) => ws.join(" "));
const doc = fc.record({ title: text, body: text });
const queryText = fc.oneof(
  fc.constantFrom(...WORDS, "aple", "gardn", "missing"),
  fc.tuple(fc.constantFrom(...WORDS), fc.constantFrom(...WORDS)).map(([a, b]) => `${a} ${b}`),
  fc.tuple(fc.constantFrom(...WORDS), fc.constantFrom(...WORDS)).map(([a, b]) => `"${a} ${b}"`),
  fc.constantFrom("ap*", "ch*", "apple OR zebra", "garden NOT apple"),
);
/** A write between two searches: put (new or overwrite) or remove. */
const write = fc.record({ id: fc.integer({ min: 0, max: 80 }), data: fc.option(doc, { nil: null }) });

function cluster(docs: ReadonlyArray<{ title: string; body: string }>): MemoryCluster {
  const c = memoryCluster(8, COLLECTION);
  opened.push(c);
  c.createSearchIndex(SPEC);
  docs.forEach((d, i) => c.put(`d${String(i).padStart(3, "0")}`, d as unknown as JsonObject));
  return c;
}

/** Shards that never answer in one pass, so their statistics are cached (a search answered in one pass by every shard is one round trip already). */
function twoPass(shards: SearchShards, statsCache: SearchStatsCache | null): SearchShards {
  return { ...shards, searchStats: (shard, req) => shards.searchStats(shard, { ...req, onePass: null }), statsCache };
}

async function rank(shards: SearchShards, t: string, rule: ShardReadRule | null = null) {
  const page = await runSearchPage(shards, { ...spec, rule }, { node: parseSearchText(t), exact: false }, 1000, null, { deadline: deadline(), explain: true });
  return { hits: page.documents.map((d) => ({ id: d.doc.id, score: d.score })), statsRowsRead: page.plan.statsRowsRead, compiled: page.plan.compiled.match, plans: page.report.shards.map((s) => s.sqlPlan) };
}

describe("SearchStatsCache", () => {
  it("keeps at most its bound, dropping the least recently used", () => {
    const cache = new SearchStatsCache(2);
    const entry = (n: number) => ({ generations: [n], compiled: { match: "", tree: { kind: "phrase", index: 0 }, phrases: [] } as never, expansions: {}, textFields: [], documents: n, tokens: n, phraseDocuments: [] });
    cache.set("a", entry(1));
    cache.set("b", entry(2));
    expect(cache.get("a")?.documents).toBe(1);
    cache.set("c", entry(3));
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")?.documents).toBe(1);
    expect(cache.size).toBe(2);
    cache.delete("a");
    expect(cache.get("a")).toBeUndefined();
    expect(() => new SearchStatsCache(0)).toThrow();
  });

  it("keys by routing table, collection, search and exactness only", () => {
    const node = parseSearchText("apple");
    const key = statsCacheKey(1, ["s0", "s1"], "c", node, false);
    expect(statsCacheKey(1, ["s0", "s1"], "c", parseSearchText("apple"), false)).toBe(key);
    for (const other of [statsCacheKey(2, ["s0", "s1"], "c", node, false), statsCacheKey(1, ["s0"], "c", node, false), statsCacheKey(1, ["s0", "s1"], "d", node, false), statsCacheKey(1, ["s0", "s1"], "c", node, true), statsCacheKey(1, ["s0", "s1"], "c", parseSearchText("apples"), false)]) {
      expect(other).not.toBe(key);
    }
  });
});

describe("cached global statistics", () => {
  it("rank exactly as a statistics pass does, before and after writes on some shards", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(doc, { minLength: 20, maxLength: 80 }), fc.array(queryText, { minLength: 1, maxLength: 4 }), fc.array(write, { maxLength: 6 }), async (docs, texts, writes) => {
        const c = cluster(docs);
        const cache = new SearchStatsCache();
        const cached = twoPass(c.search, cache);
        const fresh = twoPass(c.search, null);
        for (const t of texts) {
          const first = await rank(cached, t);
          const again = await rank(cached, t);
          // The second first page took no statistics pass, and ranked the same.
          expect(again.statsRowsRead, t).toBe(0);
          expect(again.plans.every((p) => p.includes("cached statistics")), t).toBe(true);
          expect(again.hits, t).toEqual(first.hits);
          expect(again.compiled, t).toBe(first.compiled);
        }
        for (const w of writes) {
          const id = `d${String(w.id).padStart(3, "0")}`;
          if (w.data === null) c.remove(id);
          else c.put(id, w.data as unknown as JsonObject);
        }
        for (const t of texts) {
          // After writes the cached statistics are stale on the shards written
          // (generation moved): the page must equal a fresh statistics pass's,
          // scores included, to the bit.
          const after = await rank(cached, t);
          const want = await rank(fresh, t);
          expect(after.hits, t).toEqual(want.hits);
          expect(after.compiled, t).toBe(want.compiled);
          const again = await rank(cached, t);
          expect(again.hits, t).toEqual(want.hits);
          expect(again.statsRowsRead, t).toBe(0);
        }
      }),
      { numRuns: Number(process.env["SEARCH_ORACLE_RUNS"] ?? 15), ...replay },
    );
  }, 180_000);

  it("a write to a shard moves its generation, so the cached page is run again with both passes", async () => {
    const c = cluster([{ title: "apple", body: "garden" }, { title: "apple apple", body: "zebra" }, { title: "banana", body: "apple" }]);
    const cache = new SearchStatsCache();
    const cached = twoPass(c.search, cache);
    const before = await rank(cached, "apple");
    expect(before.statsRowsRead).toBeGreaterThan(0);
    expect((await rank(cached, "apple")).statsRowsRead).toBe(0);
    // A new document holding the term changes N and the term's count: every score moves.
    c.put("d900", { title: "apple", body: "apple cherry" });
    const after = await rank(cached, "apple");
    expect(after.statsRowsRead).toBeGreaterThan(0);
    expect(after.hits.map((h) => h.id)).toContain("d900");
    expect(after.hits).toEqual((await rank(twoPass(c.search, null), "apple")).hits);
    expect(after.hits.find((h) => h.id === "d001")!.score).not.toBe(before.hits.find((h) => h.id === "d001")!.score);
  });

  it("is never used nor filled for a caller bound by a read rule, nor when every shard answered in one pass", async () => {
    const c = cluster([{ title: "apple", body: "garden" }, { title: "apple apple", body: "zebra" }]);
    const cache = new SearchStatsCache();
    const rule: ShardReadRule = { source: "true", filter: MATCH_ALL, exact: true, authJson: "{}", method: "list" };
    await rank(twoPass(c.search, cache), "apple", rule);
    expect(cache.size).toBe(0);
    // Every shard answers in one pass here (two documents): already one round trip.
    await rank({ ...c.search, statsCache: cache }, "apple");
    expect(cache.size).toBe(0);
  });
});
