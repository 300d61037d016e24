/**
 * The ranking oracle: for random corpora and random search texts (terms,
 * phrases, prefixes, OR, NOT, parentheses, typos), the search over 1, 3
 * and 8 shards of node:sqlite running the shards' own search code gives
 * exactly the order, and to floating tolerance the scores, of ONE SQLite
 * FTS5 database holding every document and ranking with its own bm25(),
 * running the same compiled expression. The typo expansions are checked
 * against a brute-force scan of the one database's vocabulary. fast-check
 * prints the seed and path of any failure; SEARCH_ORACLE_SEED and
 * SEARCH_ORACLE_PATH replay it.
 */
import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { DatabaseSync } from "node:sqlite";
import type { JsonObject } from "@bufbuild/protobuf";
import { MATCH_ALL } from "../../../src/query/expression.js";
import { runSearchPage, type SearchPageState } from "../../../src/search/search-executor.js";
import { parseSearchText, type SearchNode } from "../../../src/search/query-parser.js";
import { documentColumns } from "../../../src/search/text-index.js";
import { chooseVariants, editDistance, editsAllowed } from "../../../src/search/typo.js";
import { compileSearch, typoTerms } from "../../../src/search/compile.js";
import { compareHits } from "../../../src/search/shard-search.js";
import { SearchStatsCache } from "../../../src/search/stats-cache.js";
import type { SearchIndexSpec } from "../../../src/search/catalog.js";
import { memoryCluster, type MemoryCluster } from "../query/memory-shards.js";

const COLLECTION = "texts";
const SPEC: SearchIndexSpec = { collection: COLLECTION, textFields: [{ field: "title", weight: 2.5 }, { field: "body", weight: 1 }], geoField: null };
/** A failure's seed and path from the environment, to replay it (fast-check's `seed` and `path`). */
const replay = process.env["SEARCH_ORACLE_SEED"] === undefined ? {} : { seed: Number(process.env["SEARCH_ORACLE_SEED"]), path: process.env["SEARCH_ORACLE_PATH"] };
const deadline = () => ({ atMs: Date.now() + 60_000, now: () => Date.now() });
const opened: Array<{ close(): void }> = [];
afterEach(() => {
  while (opened.length > 0) opened.pop()!.close();
});

// Words chosen so typos (one and two edits), prefixes and accents occur.
const WORDS = [
  "apple", "appel", "apples", "aple", "application", "applications", "applicaton", "banana", "bandana", "band",
  "cherry", "cheery", "chery", "delta", "deltas", "echo", "eco", "forest", "forrest", "foreste",
  "garden", "gardens", "harden", "Über", "uber", "naïve", "naive", "café", "cafe", "x1", "zebra", "zebras",
];

const text = fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 12 }).map((ws) => ws.join(" "));
const doc = fc.record({
  title: fc.oneof({ weight: 6, arbitrary: text }, { weight: 1, arbitrary: fc.constant(7 as unknown as string) }, { weight: 1, arbitrary: fc.array(text, { maxLength: 3 }) as unknown as fc.Arbitrary<string> }),
  body: fc.oneof({ weight: 4, arbitrary: text }, { weight: 1, arbitrary: fc.constant(null as unknown as string) }),
  n: fc.integer({ min: 0, max: 9 }),
});
const corpus = fc.array(doc, { minLength: 60, maxLength: 140 });

const word = fc.constantFrom(...WORDS, "applicatoin", "gardn", "missing");
const prefix = fc.constantFrom("ap*", "app*", "ban*", "gard*", "ch*", "ze*", "ub*");
const phrase = fc.tuple(word, word).map(([a, b]) => `"${a} ${b}"`);
const term = fc.oneof({ weight: 5, arbitrary: word }, { weight: 2, arbitrary: prefix });
const leaf = fc.oneof({ weight: 7, arbitrary: term }, { weight: 2, arbitrary: phrase });
/** Conjunctions of `l`, with NOT and an OR group. */
const conjunction = (l: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 4, arbitrary: l },
    { weight: 2, arbitrary: fc.tuple(l, l).map(([a, b]) => `${a} ${b}`) },
    { weight: 1, arbitrary: fc.tuple(l, l).map(([a, b]) => `${a} AND ${b}`) },
    { weight: 1, arbitrary: fc.tuple(l, l).map(([a, b]) => `${a} NOT ${b}`) },
    { weight: 1, arbitrary: fc.tuple(l, l, l).map(([a, b, c]) => `(${a} OR ${b}) ${c}`) },
  );
/**
 * Random search texts. A phrase of several words is kept out of an AND
 * below the top (`(a "b c") OR d`): there FTS5's bm25() depends on the
 * order of rowids (an AND that meets a row where the phrase's words occur
 * but not as the phrase zeroes its phrases' instance lists, and a phrase
 * whose iterator does not move keeps the zeroed list on a later row), so no
 * sharded index can equal it; see src/search/README.md.
 */
const query: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: conjunction(leaf) },
  { weight: 1, arbitrary: fc.tuple(conjunction(term), conjunction(term)).map(([a, b]) => `${a} OR ${b}`) },
);

/** One FTS5 database holding every document with text, ranked by SQLite's bm25(). */
function oracle(docs: ReadonlyArray<{ id: string; data: JsonObject }>) {
  const db = new DatabaseSync(":memory:");
  opened.push(db);
  db.exec("CREATE VIRTUAL TABLE o USING fts5(c0, c1, tokenize = 'ascii')");
  db.exec("CREATE VIRTUAL TABLE v USING fts5vocab(o, 'row')");
  const ids: string[] = [];
  for (const d of docs) {
    const columns = documentColumns(SPEC, d.id, d.data);
    if (columns.every((c) => c.length === 0)) continue;
    ids.push(d.id);
    db.prepare("INSERT INTO o (rowid, c0, c1) VALUES (?, ?, ?)").run(ids.length, columns[0]!.join(" "), columns[1]!.join(" "));
  }
  return {
    rank(match: string): Array<{ id: string; score: number }> {
      const rows = db.prepare("SELECT rowid AS r, bm25(o, 2.5, 1.0) AS s FROM o WHERE o MATCH ?").all(match) as Array<{ r: number; s: number }>;
      return rows.map((row) => ({ id: ids[row.r - 1]!, score: -row.s })).sort(compareHits);
    },
    expansions(term: string): string[] {
      const edits = editsAllowed([...term].length);
      const vocab = db.prepare("SELECT term, doc FROM v").all() as Array<{ term: string; doc: number }>;
      // A word found as typed is not expanded (src/search/typo.ts).
      if (vocab.some((r) => r.term === term && r.doc > 0)) return [];
      const near = vocab
        .filter((r) => [...r.term][0] === [...term][0])
        .map((r) => ({ word: r.term, edits: editDistance(term, r.term, edits), documents: r.doc }))
        .filter((v) => v.edits <= edits);
      return chooseVariants(term, [near]).map((v) => v.word);
    },
  };
}

/** Whether a NOT sits below an OR in `node` (where FTS5's bm25() depends on rowid order). */
function notBelowOr(node: SearchNode, belowOr = false): boolean {
  if (node.kind === "not") return belowOr || notBelowOr(node.child, belowOr);
  if (node.kind === "and" || node.kind === "or") return node.children.some((c) => notBelowOr(c, belowOr || node.kind === "or"));
  return false;
}

function cluster(count: number, docs: ReadonlyArray<{ id: string; data: JsonObject }>): MemoryCluster {
  const c = memoryCluster(count, COLLECTION);
  opened.push(c);
  // Half the documents before the index (backfill), half after (maintenance).
  const half = Math.floor(docs.length / 2);
  for (const d of docs.slice(0, half)) c.put(d.id, d.data);
  c.createSearchIndex(SPEC);
  for (const d of docs.slice(half)) c.put(d.id, d.data);
  return c;
}

const spec = { collection: COLLECTION, filter: MATCH_ALL, order: [], limit: null, offset: 0, select: null };

describe("search ranking equals one FTS5 database's bm25()", () => {
  it("over 1, 3 and 8 shards, for random corpora and queries", async () => {
    await fc.assert(
      fc.asyncProperty(corpus, fc.array(query, { minLength: 3, maxLength: 6 }), fc.boolean(), async (raw, texts, exact) => {
        const docs = raw.map((data, i) => ({ id: `d${String(i).padStart(3, "0")}`, data: data as unknown as JsonObject }));
        const one = oracle(docs);
        const clusters = [1, 3, 8].map((n) => cluster(n, docs));
        // Small corpora let most shards answer in one pass (one-pass.ts);
        // one more 8-shard layout never does, so scoring passes (in SQL and
        // in JavaScript) are checked on every query as well.
        const eight = clusters[2]!.search;
        const twoPass = { ...eight, searchStats: (shard: string, req: Parameters<typeof eight.searchStats>[1]) => eight.searchStats(shard, { ...req, onePass: null }) };
        // The same two-pass layout with the Worker's statistics cache
        // (stats-cache.ts), twice: the second asks no statistics and must
        // rank exactly the same.
        const cached = { ...twoPass, statsCache: new SearchStatsCache() };
        const searchers = [...clusters.map((c) => c.search), twoPass, cached, cached];
        for (const t of texts) {
          const node = parseSearchText(t);
          let compiled: string | null = null;
          // Below an OR, FTS5's bm25() counts a NOT's right side on the
          // first row that side's iterator starts on (src/search/README.md):
          // there the layouts are checked against each other, not FTS5.
          const fts5Defined = !notBelowOr(node);
          let first: Array<{ id: string; score: number }> | null = null;
          for (const search of searchers) {
            const c = { search };
            const page = await runSearchPage(c.search, spec, { node, exact }, 1000, null, { deadline: deadline(), explain: false });
            // Every shard count compiles the same expression (same global vocabulary).
            if (compiled === null) compiled = page.plan.compiled.match;
            expect(page.plan.compiled.match, t).toBe(compiled);
            const want = fts5Defined ? one.rank(page.plan.compiled.match) : (first ??= page.documents.map((d) => ({ id: d.doc.id, score: d.score })));
            expect(page.documents.map((d) => d.doc.id), `${t} -> ${compiled} on ${c.search.shards.length} shards`).toEqual(want.map((w) => w.id));
            page.documents.forEach((d, i) => expect(d.score).toBeCloseTo(want[i]!.score, 9));
            expect(page.documents.every((d) => d.score > 0)).toBe(true);
            // Which documents match never depends on FTS5's scoring.
            if (!fts5Defined) expect(new Set(page.documents.map((d) => d.doc.id))).toEqual(new Set(one.rank(compiled).map((w) => w.id)));
          }
          if (!exact) {
            for (const term of typoTerms(node, 5)) {
              for (const v of one.expansions(term)) expect(compiled, `${term} expands to ${v}`).toContain(`"${v}"`);
            }
          } else {
            // Exact: no expansions at all.
            expect(compiled).toBe(compileSearch(node, new Map()).match);
          }
        }
      }),
      { numRuns: Number(process.env["SEARCH_ORACLE_RUNS"] ?? 15), ...replay },
    );
  }, 180_000);

  it("page walks give the same order as one page, on 8 shards", async () => {
    await fc.assert(
      fc.asyncProperty(corpus, query, fc.integer({ min: 1, max: 7 }), async (raw, t, pageSize) => {
        const docs = raw.map((data, i) => ({ id: `d${String(i).padStart(3, "0")}`, data: data as unknown as JsonObject }));
        const c = cluster(8, docs);
        const node = parseSearchText(t);
        const all = await runSearchPage(c.search, spec, { node, exact: false }, 1000, null, { deadline: deadline(), explain: false });
        const walked: string[] = [];
        let state: SearchPageState | null = null;
        for (let i = 0; i < 1000; i++) {
          const page = await runSearchPage(c.search, spec, { node, exact: false }, pageSize, state, { deadline: deadline(), explain: false });
          walked.push(...page.documents.map((d) => d.doc.id));
          if (page.next === null) break;
          state = page.next;
        }
        expect(walked).toEqual(all.documents.map((d) => d.doc.id));
      }),
      { numRuns: 10 },
    );
  }, 120_000);
});
