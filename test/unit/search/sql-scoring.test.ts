/**
 * Which compiled queries are scored inside SQLite (sql-scoring.ts): those
 * where bm25() counts a phrase exactly when it is present. The ranking
 * oracle (ranking-oracle.property.test.ts) checks the scores of both paths
 * against SQLite's own bm25(); this checks the choice between them.
 */
import { describe, expect, it } from "vitest";
import { compileSearch } from "../../../src/search/compile.js";
import { parseSearchText } from "../../../src/search/query-parser.js";
import { countedWhenPresent, matchesAreInstances, scoringStatement } from "../../../src/search/sql-scoring.js";

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
});
