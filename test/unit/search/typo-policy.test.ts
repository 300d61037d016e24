/**
 * Which words typo tolerance expands (src/search/typo.ts), as a user sees
 * it: a word found as typed means what it says (a rare neighbour used to
 * outrank every exact match by its higher IDF), and a first letter that
 * starts too many words on a shard makes the word match as typed instead
 * of failing the search (it used to be RESOURCE_EXHAUSTED).
 */
import { afterEach, describe, expect, it } from "vitest";
import type { JsonObject } from "@bufbuild/protobuf";
import { MATCH_ALL } from "../../../src/query/expression.js";
import { SEARCH_TYPO_SCAN_ROWS_MAX } from "../../../src/search/limits.js";
import { parseSearchText } from "../../../src/search/query-parser.js";
import { runSearchPage } from "../../../src/search/search-executor.js";
import { memoryCluster, type MemoryCluster } from "../query/memory-shards.js";

const COLLECTION = "words";
const spec = { collection: COLLECTION, filter: MATCH_ALL, order: [], limit: null, offset: 0, select: null };
const opened: MemoryCluster[] = [];
afterEach(() => {
  for (const c of opened.splice(0)) c.close();
});

function clusterOf(shards: number, docs: Record<string, JsonObject>): MemoryCluster {
  const c = memoryCluster(shards, COLLECTION);
  opened.push(c);
  c.createSearchIndex({ collection: COLLECTION, textFields: [{ field: "t", weight: 1 }], geoField: null });
  for (const [id, data] of Object.entries(docs)) c.put(id, data);
  return c;
}

async function search(c: MemoryCluster, text: string) {
  const deadline = { atMs: Date.now() + 60_000, now: () => Date.now() };
  return runSearchPage(c.search, spec, { node: parseSearchText(text), exact: false }, 1000, null, { deadline, explain: false });
}

describe("typo tolerance", () => {
  it("does not expand a word found as typed, so exact matches are not outranked by rare neighbours", async () => {
    const docs: Record<string, JsonObject> = { z1: { t: "the colour red" } };
    for (let i = 0; i < 20; i++) docs[`c${String(i).padStart(2, "0")}`] = { t: "the color red" };
    for (let i = 0; i < 20; i++) docs[`o${i}`] = { t: "other words" };
    for (const shards of [1, 3]) {
      const page = await search(clusterOf(shards, docs), "color");
      expect(page.plan.compiled.match).toBe('"color"');
      expect(page.documents.map((d) => d.doc.id)).toEqual(Array.from({ length: 20 }, (_, i) => `c${String(i).padStart(2, "0")}`));
      // A word not in the collection still finds its neighbours.
      const typo = await search(clusterOf(shards, docs), "colorr");
      expect(typo.documents.map((d) => d.doc.id).sort()).toContain("c00");
    }
  });

  it("matches a word as typed when its first letter starts more words than one shard may scan, instead of failing", async () => {
    // SEARCH_TYPO_SCAN_ROWS_MAX + 1 distinct words starting with "s" on one shard.
    const words = Array.from({ length: SEARCH_TYPO_SCAN_ROWS_MAX + 1 }, (_, i) => `s${i.toString(36)}q`);
    const docs: Record<string, JsonObject> = {};
    for (let i = 0; i * 500 < words.length; i++) docs[`w${i}`] = { t: words.slice(i * 500, (i + 1) * 500).join(" ") };
    docs["hit"] = { t: "searchabel" };
    const c = clusterOf(1, docs);
    const page = await search(c, "searchable");
    expect(page.plan.compiled.match).toBe('"searchable"');
    expect(page.documents).toEqual([]);
  });

  it("sees a shard's own writes at once though shards cache word counts between writes", async () => {
    // Shards keep each word's document count until their index changes
    // (vocabulary-cache.ts); a count kept past a write would keep a word
    // that now exists expanded, and its statistics stale.
    for (const shards of [1, 3]) {
      const c = clusterOf(shards, { g1: { t: "giraffe crossing" }, o1: { t: "other words" } });
      const before = await search(c, "girafe crossing");
      expect(before.plan.compiled.match).toBe('(("girafe" OR "giraffe") AND "crossing")');
      expect(before.documents.map((d) => d.doc.id)).toEqual(["g1"]);
      c.put("g2", { t: "girafe crossing" });
      const after = await search(c, "girafe crossing");
      // Now found as typed: not expanded, and "crossing" is in two documents.
      expect(after.plan.compiled.match).toBe('("girafe" AND "crossing")');
      expect(after.documents.map((d) => d.doc.id)).toEqual(["g2"]);
      expect(after.plan.phraseDocuments).toEqual([1, 2]);
      // A new neighbour of a term whose variants a search has found already.
      expect((await search(c, "zebraz crossing")).documents).toEqual([]);
      c.put("z1", { t: "zebras crossing" });
      expect((await search(c, "zebraz crossing")).documents.map((d) => d.doc.id)).toEqual(["z1"]);
      c.remove("z1");
      c.remove("g2");
      const removed = await search(c, "girafe crossing");
      expect(removed.documents.map((d) => d.doc.id)).toEqual(["g1"]);
      expect(removed.plan.compiled.match).toBe('(("girafe" OR "giraffe") AND "crossing")');
      expect(removed.plan.phraseDocuments).toEqual([0, 1, 1]);
    }
  });
});
