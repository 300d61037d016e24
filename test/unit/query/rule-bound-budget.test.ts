/**
 * The rows-read refusal a rule-bound caller gets says nothing about hidden
 * documents: the rows SQLite reads include rows the read rule drops, so a
 * shard's "remaining budget" (QUERY_ROWS_READ_MAX less what other shards
 * and earlier batches read) used to count them. Two collections with the
 * same readable documents, one with hidden ones among them, must be
 * refused in the same words.
 */
import { afterEach, describe, expect, it } from "vitest";
import { streamQuery, type QuerySpec } from "../../../src/query/executor.js";
import { MATCH_ALL } from "../../../src/query/expression.js";
import { compileRuleCached } from "../../../src/rules/compile.js";
import { shardReadRule } from "../../../src/rules/read-rule.js";
import { memoryCluster, type MemoryCluster } from "./memory-shards.js";

const deadline = { atMs: Date.now() + 600_000, now: () => Date.now() };
const opened: MemoryCluster[] = [];
afterEach(() => {
  while (opened.length > 0) opened.pop()!.close();
});

/** Evaluated per document (no SQL for startsWith), so node:sqlite steps the hidden rows as SQLite reads them. */
const compiled = compileRuleCached("resource.data.title.startsWith(request.auth.sub)", "read");
if (!compiled.ok) throw new Error(compiled.message);
const spec: QuerySpec = {
  collection: "c",
  filter: MATCH_ALL,
  order: [{ path: ["n"], descending: false }],
  limit: null,
  offset: 0,
  select: null,
  rule: shardReadRule(compiled.rule, { sub: "alice" }, "list"),
};

async function refusal(hidden: number): Promise<string> {
  const c = memoryCluster(1, "c");
  opened.push(c);
  for (let i = 0; i < 120; i++) c.put(`a${String(i).padStart(3, "0")}`, { n: i, title: `alice ${i}` });
  for (let i = 0; i < hidden; i++) c.put(`h${i}`, { n: i + 0.5, title: "bob's secret" });
  try {
    // The first batch (STREAM_FIRST_BATCH_ROWS) fits the budget; the second does not.
    for await (const _ of streamQuery(c.shards, spec, { deadline, explain: false, rowsReadMax: 100 })) void _;
  } catch (err) {
    expect(err).toMatchObject({ kind: "resource_exhausted" });
    return (err as Error).message;
  }
  throw new Error("expected the query to be refused");
}

describe("a rule-bound query past its rows-read budget", () => {
  it("is refused in the same words however many hidden rows it read, naming only the limit", async () => {
    const plain = await refusal(0);
    expect(plain).toBe("the query read more than QUERY_ROWS_READ_MAX (100) rows over its shards; narrow the filter or add a secondary index that serves it");
    expect(await refusal(10)).toBe(plain);
  });
});
