/**
 * Issue 11, the leaks left after readable-stats.ts, in plain Node over 3
 * in-memory shards: a caller bound by a read rule must learn nothing about
 * the documents it cannot read, so everything its search answers (hits,
 * scores, refusals, the compiled query, Explain's rows read and plans)
 * must be the same whether the hidden documents exist or not. Each test
 * runs the same rule-bound search over a collection with hidden documents
 * and over one holding only the readable ones, and compares the two.
 *
 * The limits are lowered here (vi.mock) so that a few dozen documents
 * reach them: SEARCH_CANDIDATES_PER_SHARD_MAX (6), SEARCH_TYPO_SCAN_ROWS_MAX
 * (5 words), SEARCH_ONE_PASS_CANDIDATES_MAX (2) and
 * SEARCH_RULE_BOUND_INDEX_DOCUMENTS_MAX (40).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { JsonObject } from "@bufbuild/protobuf";
import type { ShardReadRule } from "../../../src/rules/read-rule.js";
import { runSearchPage } from "../../../src/search/search-executor.js";
import { parseSearchText } from "../../../src/search/query-parser.js";
import type { SearchIndexSpec } from "../../../src/search/catalog.js";
import { FailureError } from "../../../src/errors.js";
import { memoryCluster, type MemoryCluster } from "../query/memory-shards.js";
import { aliceReadRule, minuteDeadline, searchSpec } from "./rule-fixtures.js";

vi.mock("../../../src/search/limits.js", async (importOriginal) => ({
  ...(await importOriginal<typeof import("../../../src/search/limits.js")>()),
  SEARCH_CANDIDATES_PER_SHARD_MAX: 6,
  SEARCH_TYPO_SCAN_ROWS_MAX: 5,
  SEARCH_ONE_PASS_CANDIDATES_MAX: 2,
  SEARCH_RULE_BOUND_INDEX_DOCUMENTS_MAX: 40,
}));

const COLLECTION = "memo";
const SPEC: SearchIndexSpec = { collection: COLLECTION, textFields: [{ field: "title", weight: 2 }, { field: "body", weight: 1 }], geoField: null };
const SHARDS = 3;
const opened: MemoryCluster[] = [];
afterEach(() => {
  while (opened.length > 0) opened.pop()!.close();
});

function cluster(docs: ReadonlyArray<{ id: string; data: JsonObject }>): MemoryCluster {
  const c = memoryCluster(SHARDS, COLLECTION);
  opened.push(c);
  for (const d of docs) c.put(d.id, d.data);
  c.createSearchIndex(SPEC);
  return c;
}

// Alice reads her own documents. Her words starting with "a" are "apple"
// alone; the hidden documents all hold "apple" too, and each a word of its
// own starting with "a", so on every shard the hidden ones pass the
// lowered candidate and vocabulary-scan limits; three also hold "pie",
// "banana" and "tart", too few to pass the candidate limit.
const readable = [
  { id: "r1", data: { owner: "alice", title: "apple pie", body: "warm pie" } },
  { id: "r2", data: { owner: "alice", title: "apple tart", body: "cold tart with pie" } },
  { id: "r3", data: { owner: "alice", title: "banana split", body: "cherry on top" } },
  { id: "r4", data: { owner: "alice", title: "cherry apple", body: "banana bread" } },
] as Array<{ id: string; data: JsonObject }>;
const hidden = Array.from({ length: 45 }, (_, i) => ({
  id: `h${String(i).padStart(2, "0")}`,
  data: { owner: "dave", title: `apple a${i.toString(36)}zz`, body: i % 15 === 0 ? "pie banana tart" : "cider" } as JsonObject,
}));

const source = "resource.data.owner == request.auth.sub";
const rule = (pushed: boolean): ShardReadRule => aliceReadRule(source, pushed);
const spec = searchSpec(COLLECTION);
const deadline = minuteDeadline;

/** Everything a search answers a caller: its hits and Explain, or its refusal. */
async function answer(c: MemoryCluster, r: ShardReadRule | null, text: string) {
  try {
    const page = await runSearchPage(c.search, { ...spec, rule: r }, { node: parseSearchText(text), exact: false }, 1000, null, { deadline: deadline(), explain: true });
    return {
      hits: page.documents.map((d) => [d.doc.id, d.score]),
      compiled: page.plan.compiled.match,
      n: page.plan.documents,
      counts: page.plan.phraseDocuments,
      statsRowsRead: page.plan.statsRowsRead,
      shards: page.report.shards.map((s) => ({ plan: s.sqlPlan, rowsRead: s.rowsRead, rowsReturned: s.rowsReturned })),
    };
  } catch (err) {
    if (err instanceof FailureError) return { refused: err.kind, message: err.message };
    throw err;
  }
}

describe("a rule-bound caller's search tells nothing of hidden documents", () => {
  for (const pushed of [true, false]) {
    const how = pushed ? "rule pushed into SQL" : "rule evaluated per document";

    it(`SEARCH_CANDIDATES_PER_SHARD_MAX counts only readable candidates (${how})`, async () => {
      const all = cluster([...readable, ...hidden]);
      const only = cluster(readable);
      const bound = await answer(all, rule(pushed), "apple");
      expect(bound).toEqual(await answer(only, rule(pushed), "apple"));
      expect(bound).toHaveProperty("hits");
      expect((bound as { hits: unknown[] }).hits.map((h) => (h as string[])[0]).sort()).toEqual(["r1", "r2", "r4"]);
      // The limit is live: a caller who reads everything is refused.
      expect(await answer(all, null, "apple")).toMatchObject({ refused: "resource_exhausted", message: expect.stringContaining("SEARCH_CANDIDATES_PER_SHARD_MAX") });
    });

    it(`the typo scan's choice between the word as typed and its variants ignores hidden words (${how})`, async () => {
      const all = cluster([...readable, ...hidden]);
      const only = cluster(readable);
      const bound = await answer(all, rule(pushed), "applee");
      expect(bound).toEqual(await answer(only, rule(pushed), "applee"));
      expect(bound).toMatchObject({ compiled: expect.stringContaining('"apple"') });
      // The scan limit is live: for a caller who reads everything the hidden words pass it, and the term is matched as typed.
      expect(await answer(all, null, "applee")).toMatchObject({ compiled: '"applee"', hits: [] });
    });

    it(`Explain's rows read, plans and the one-pass choice count only readable documents (${how})`, async () => {
      const all = cluster([...readable, ...hidden]);
      const only = cluster(readable);
      for (const text of ["pie", "banana", "tart", "cherry", "pie OR banana", '"pie banana"', "pie NOT tart", "zzz"]) {
        const bound = await answer(all, rule(pushed), text);
        expect(bound, text).toEqual(await answer(only, rule(pushed), text));
        expect(bound, text).not.toHaveProperty("refused");
      }
    });
  }

  it("past SEARCH_RULE_BOUND_INDEX_DOCUMENTS_MAX indexed documents on a shard, refuses every search alike, whatever it names", async () => {
    const big = cluster([...readable, ...hidden, ...hidden.map((d) => ({ id: `x${d.id}`, data: d.data })), ...hidden.map((d) => ({ id: `y${d.id}`, data: d.data }))]);
    const answers = await Promise.all(["apple", "nothingheld", '"banana split"'].map((text) => answer(big, rule(true), text)));
    for (const a of answers) expect(a).toMatchObject({ refused: "resource_exhausted", message: expect.stringContaining("SEARCH_RULE_BOUND_INDEX_DOCUMENTS_MAX (40)") });
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    // Callers no rule binds are not refused by it.
    expect(await answer(big, null, "nothingheld")).toMatchObject({ hits: [] });
  });
});
