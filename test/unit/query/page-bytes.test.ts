/**
 * A page ends early at the caller's byte budget (RunQuery passes
 * RESPONSE_BYTES_MAX): at least one document per page, a token that
 * resumes right after the last document sent, and limits counted by the
 * documents actually sent.
 */
import { afterEach, describe, expect, it } from "vitest";
import { runQueryPage, type PageState, type QuerySpec } from "../../../src/query/executor.js";
import { MATCH_ALL } from "../../../src/query/expression.js";
import { memoryCluster, type MemoryCluster } from "./memory-shards.js";

const deadline = { atMs: Date.now() + 600_000, now: () => Date.now() };
const opened: MemoryCluster[] = [];
afterEach(() => {
  while (opened.length > 0) opened.pop()!.close();
});

function spec(over: Partial<QuerySpec> = {}): QuerySpec {
  return { collection: "c", filter: MATCH_ALL, order: [{ path: ["n"], descending: false }], limit: null, offset: 0, select: null, ...over };
}

/** Each document "weighs" its `w` field; the budget is 10. */
const pageBytes = { max: 10, sizeOf: (d: { data: Record<string, unknown> }) => Number(d.data["w"]) };

async function walk(c: MemoryCluster, s: QuerySpec): Promise<number[][]> {
  const pages: number[][] = [];
  let state: PageState | null = null;
  for (let i = 0; i < 50; i++) {
    const page = await runQueryPage(c.shards, s, 1000, state, { deadline, explain: false, pageBytes });
    pages.push(page.documents.map((d) => Number(d.data["n"])));
    if (page.next === null) return pages;
    state = page.next;
  }
  throw new Error("the walk did not end");
}

describe("pages under a byte budget", () => {
  it("end before the document that would overflow, and the next page starts with it", async () => {
    const c = memoryCluster(3, "c");
    opened.push(c);
    const weights = [4, 4, 4, 9, 1, 1, 12, 3];
    weights.forEach((w, n) => c.put(`d${n}`, { n, w }));
    // 4+4 fit (8), a third 4 would make 12; 4 alone; 9+1 = 10 fits; 1 alone
    // then 12 overflows: 1; 12 is over budget but goes alone; then 3.
    expect(await walk(c, spec())).toEqual([[0, 1], [2], [3, 4], [5], [6], [7]]);
  });

  it("count the documents sent toward a limit, across short pages", async () => {
    const c = memoryCluster(2, "c");
    opened.push(c);
    for (let n = 0; n < 10; n++) c.put(`d${n}`, { n, w: 6 });
    // One document of weight 6 per page; limit 4 with offset 3 gives 3..6.
    expect(await walk(c, spec({ limit: 4, offset: 3 }))).toEqual([[3], [4], [5], [6]]);
  });
});
