/**
 * A one-pass answer for one plain word reads its candidates and their
 * per-column counts from the index's fts5vocab instance table
 * (src/search/one-pass.ts wordCandidates), not from the stored token text:
 * it must send exactly what the MATCH over the token text sends (the same
 * documents, lengths and weighted frequencies, bit for bit), whatever the
 * word's repeats, columns and neighbours (words that are its prefixes or
 * suffixes, accented ones). The statistics pass reads the instance table
 * only once it knows (its vocabulary cache, from an earlier search at the
 * same index generation) that the word has few documents, and makes the
 * table then.
 */
import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { compileSearch } from "../../../src/search/compile.js";
import { parseSearchText } from "../../../src/search/query-parser.js";
import { runOnePass } from "../../../src/search/one-pass.js";
import { runSearchStats } from "../../../src/search/shard-search.js";
import { MATCH_ALL } from "../../../src/query/expression.js";
import { instanceTableName } from "../../../src/search/text-index.js";
import { VocabularyCache } from "../../../src/search/vocabulary-cache.js";
import type { SearchIndexSpec, SearchSql } from "../../../src/search/catalog.js";
import { memoryCluster, type MemoryCluster } from "../query/memory-shards.js";

const WORDS = ["apple", "apples", "app", "pineapple", "appl", "äpple", "pear"];
const SPEC: SearchIndexSpec = { collection: "notes", textFields: [{ field: "title", weight: 2.5 }, { field: "body", weight: 1 }, { field: "tags", weight: 0.5 }], geoField: null };
let cluster: MemoryCluster | null = null;
afterEach(() => cluster?.close());

describe("a lone word's one pass from the instance table", () => {
  it("sends what the MATCH over the token text sends", () => {
    const text = fc.array(fc.constantFrom(...WORDS), { maxLength: 8 }).map((ws) => ws.join(" "));
    const doc = fc.record({ title: text, body: text, tags: fc.array(text, { maxLength: 2 }) });
    fc.assert(
      fc.property(fc.array(doc, { minLength: 1, maxLength: 40 }), fc.constantFrom(...WORDS), (docs, word) => {
        cluster?.close();
        cluster = memoryCluster(1, "notes");
        docs.forEach((d, i) => cluster!.put(`d${i}`, d));
        cluster.createSearchIndex(SPEC);
        const sql = cluster.sqlOf(cluster.search.shards[0]!) as SearchSql;
        const compiled = compileSearch(parseSearchText(word), new Map());
        const onePass = { match: compiled.match, tree: compiled.tree, phrases: compiled.phrases, filter: MATCH_ALL, rule: null };
        // The first search reads the MATCH and keeps the word's count; the
        // second, knowing the word has few documents, reads the instance
        // table (made then) and sends the same answer.
        const vocabulary = new VocabularyCache();
        const request = { collection: "notes", phrases: compiled.phrases, typo: [], onePass };
        const first = runSearchStats(sql, request, vocabulary);
        const stats = runSearchStats(sql, request, vocabulary);
        // The third reads the postings the second kept (vocabulary-cache.ts): the same answer again.
        const third = runSearchStats(sql, request, vocabulary);
        if (!first.ok || !stats.ok || !third.ok) throw new Error("the statistics pass failed");
        expect(third.onePass).toEqual(stats.onePass);
        expect(third.rowsRead).toBe(stats.rowsRead);
        const tables = sql.exec("SELECT name FROM sqlite_master WHERE name = ?", instanceTableName("notes")).toArray();
        expect(tables).toHaveLength(first.onePass != null ? 1 : 0);
        // Rows read as Explain reports them: the same whichever way the candidates were read.
        if (first.onePass != null) expect(stats.rowsRead).toBe(first.rowsRead);
        const fromInstances = runOnePass(sql, "notes", SPEC.textFields, onePass, null, true);
        const fromText = runOnePass(sql, "notes", SPEC.textFields, onePass, null, false);
        const byId = (a: typeof fromText) =>
          a.answer === null ? null : a.answer.documents.map((d, i) => ({ id: d.id, json: d.json, length: a.answer!.lengths[i], frequencies: a.answer!.frequencies[i] })).sort((x, y) => (x.id < y.id ? -1 : 1));
        expect(fromInstances.rowsRead).toBe(fromText.rowsRead);
        expect(fromInstances.answer?.candidates).toBe(fromText.answer?.candidates);
        expect(byId(fromInstances)).toEqual(byId(fromText));
        // And it is what both statistics passes sent.
        expect(byId({ answer: first.onePass ?? null, rowsRead: 0 })).toEqual(byId(fromText));
        expect(byId({ answer: stats.onePass ?? null, rowsRead: 0 })).toEqual(byId(fromText));
      }),
      { numRuns: 60 },
    );
  });
});
