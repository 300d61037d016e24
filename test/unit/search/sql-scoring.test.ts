/**
 * Which compiled queries are scored inside SQLite (sql-scoring.ts): those
 * where bm25() counts a phrase exactly when it is present. The ranking
 * oracle (ranking-oracle.property.test.ts) checks the scores of both paths
 * against SQLite's own bm25(); this checks the choice between them.
 */
import { afterEach, describe, expect, it } from "vitest";
import { compileSearch } from "../../../src/search/compile.js";
import type { SearchSql } from "../../../src/search/catalog.js";
import { ensureInstanceTable } from "../../../src/search/text-index.js";
import { memoryCluster, type MemoryCluster } from "../query/memory-shards.js";
import { parseSearchText } from "../../../src/search/query-parser.js";
import { candidateCountStatement, countedWhenPresent, matchesAreInstances, scoringStatement } from "../../../src/search/sql-scoring.js";

const opened: MemoryCluster[] = [];
afterEach(() => {
  while (opened.length > 0) opened.pop()!.close();
});

const tree = (text: string) => compileSearch(parseSearchText(text), new Map()).tree;

describe("SQL scoring", () => {
  it("counts every phrase outside NOT's right side when no AND or NOT sits below an OR", () => {
    expect(countedWhenPresent(tree("apple"))).toEqual([0]);
    expect(countedWhenPresent(tree("apple banana"))).toEqual([0, 1]);
    expect(countedWhenPresent(tree("(apple OR pear) banana"))).toEqual([0, 1, 2]);
    expect(countedWhenPresent(tree("apple NOT banana"))).toEqual([0]);
    expect(countedWhenPresent(tree('"open source" app*'))).toEqual([0, 1]);
  });

  it("leaves an AND or NOT below an OR to JavaScript", () => {
    expect(countedWhenPresent(tree("(apple banana) OR cherry"))).toBeNull();
    expect(countedWhenPresent(tree("(apple NOT banana) OR cherry"))).toBeNull();
  });

  it("leaves a query to JavaScript when its statement would pass SQL_PARAMS_MAX", () => {
    // Ten terms, each with eight typo variants: 90 phrases, two parameters each.
    const terms = Array.from({ length: 10 }, (_, i) => `word${i}`);
    const compiled = compileSearch(parseSearchText(terms.join(" OR ")), new Map(terms.map((t) => [t, Array.from({ length: 8 }, (_, j) => `${t}x${j}`)])));
    expect(compiled.phrases.length).toBe(90);
    const input = { collection: "c", match: compiled.match, tree: compiled.tree, phrases: compiled.phrases, idfs: compiled.phrases.map(() => 1), averageLength: 10, weights: [1, 2], after: null, rowsMax: null };
    expect(scoringStatement(input)).toBeNull();
    expect(scoringStatement({ ...input, ...(() => { const c = compileSearch(parseSearchText("w1 OR w2"), new Map()); return { match: c.match, tree: c.tree, phrases: c.phrases, idfs: [1, 1] }; })() })).not.toBeNull();
  });

  it("lists candidates first only when an AND or NOT narrows them, and bounds the rows when asked", () => {
    // One phrase or an OR of phrases: the documents with an instance are the matches.
    expect(matchesAreInstances(tree("apple"))).toBe(true);
    expect(matchesAreInstances(tree('"open source" OR app*'))).toBe(true);
    expect(matchesAreInstances(tree("apple banana"))).toBe(false);
    expect(matchesAreInstances(tree("apple NOT banana"))).toBe(false);
    const statement = (text: string, rowsMax: number | null) => {
      const c = compileSearch(parseSearchText(text), new Map());
      return scoringStatement({ collection: "c", match: c.match, tree: c.tree, phrases: c.phrases, idfs: c.phrases.map(() => 1), averageLength: 10, weights: [1], after: null, rowsMax })!;
    };
    expect(statement("apple OR pear", 11).sql).not.toContain(" MATCH ");
    expect(statement("apple pear", 11).sql).toContain(" MATCH ");
    expect(statement("apple", 11).sql).toMatch(/LIMIT \?\d+$/);
    expect(statement("apple", null).sql).not.toContain("LIMIT");
    expect(() => statement("apple", 0)).toThrow(/rowsMax/);
  });

  it("counts its candidate list in the same statement, as FTS5's own match counts it", async () => {
    const c = memoryCluster(1, "c");
    opened.push(c);
    c.createSearchIndex({ collection: "c", textFields: [{ field: "t", weight: 1 }], geoField: null });
    const texts = ["apple pear", "apple", "pear apple apple", "banana pear", "apple banana", "cherry"];
    texts.forEach((t, i) => c.put(`d${i}`, { t }));
    const sql = c.sqlOf(c.search.shards[0]!) as unknown as SearchSql;
    // A search pass indexes the queued documents first.
    expect((await c.search.searchStats(c.search.shards[0]!, { collection: "c", phrases: [], typo: [] })).ok).toBe(true);
    ensureInstanceTable(sql, "c");
    for (const [text, rowsMax, want] of [["apple pear", 1, 2], ["apple NOT banana", 11, 3], ["apple OR pear", 11, null], ["apple missing", 11, null]] as const) {
      const compiled = compileSearch(parseSearchText(text), new Map());
      const statement = scoringStatement({ collection: "c", match: compiled.match, tree: compiled.tree, phrases: compiled.phrases, idfs: compiled.phrases.map(() => 1), averageLength: 2, weights: [1], after: null, rowsMax })!;
      const rows = sql.exec<{ id: string; score: number; total?: number }>(statement.sql, ...statement.params).toArray();
      const count = candidateCountStatement("c", compiled.match);
      const fts5 = sql.exec<{ total: number }>(count.sql, ...count.params).toArray()[0]!.total;
      // An OR of phrases lists no candidates first, so has nothing to count; no row, no count.
      expect(statement.counts, text).toBe(!matchesAreInstances(compiled.tree));
      if (want === null) {
        expect(rows.every((r) => r.total === undefined) || rows.length === 0, text).toBe(true);
        continue;
      }
      expect(fts5, text).toBe(want);
      expect(rows.length, text).toBe(Math.min(rowsMax, want));
      for (const r of rows) expect(r.total, text).toBe(want);
    }
    // The scoring pass reports that count (Explain, SEARCH_CANDIDATES_PER_SHARD_MAX), with one row or none after the cursor.
    for (const [text, after, want] of [["apple pear", null, 2], ["apple NOT banana", null, 3], ["apple NOT banana", { score: -1, id: "" }, 3], ["apple OR pear", null, 5]] as const) {
      const compiled = compileSearch(parseSearchText(text), new Map());
      const result = await c.search.search(c.search.shards[0]!, {
        collection: "c", match: compiled.match, tree: compiled.tree, phrases: compiled.phrases, idfs: compiled.phrases.map(() => 1), averageLength: 2,
        filter: { kind: "and", children: [] }, after, limit: 1, rowsReadMax: 1_000,
      });
      expect(result.ok && result.candidates, text).toBe(want);
    }
  });
});
