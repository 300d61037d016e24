import { afterEach, describe, expect, it } from "vitest";
import { runQueryPage, streamQuery, type QuerySpec } from "../../../src/query/executor.js";
import { MATCH_ALL } from "../../../src/query/expression.js";
import { createLimiter } from "../../../src/query/fan-out.js";
import { SHARD_REPLY_BYTES_MAX } from "../../../src/limits.js";
import { memoryCluster, type MemoryCluster } from "./memory-shards.js";

const deadline = { atMs: Date.now() + 600_000, now: () => Date.now() };
const opened: MemoryCluster[] = [];
afterEach(() => {
  while (opened.length > 0) opened.pop()!.close();
});

function spec(over: Partial<QuerySpec> = {}): QuerySpec {
  return { collection: "c", filter: MATCH_ALL, order: [{ path: ["n"], descending: false }], limit: null, offset: 0, select: null, ...over };
}

describe("the executor", () => {
  it("asks a shard again when a batch stops at SHARD_REPLY_BYTES_MAX", async () => {
    const c = memoryCluster(1, "c");
    opened.push(c);
    const big = "x".repeat(Math.floor(SHARD_REPLY_BYTES_MAX / 3));
    for (let i = 0; i < 8; i++) c.put(`b${i}`, { n: i, big });
    const calls: number[] = [];
    const counting = { ...c.shards, query: async (s: string, r: Parameters<typeof c.shards.query>[1]) => {
      const res = await c.shards.query(s, r);
      if (res.ok) calls.push(res.documents.length);
      return res;
    } };
    const page = await runQueryPage(counting, spec(), 8, null, { deadline, explain: false });
    expect(page.documents.map((d) => d.data.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(calls.length).toBeGreaterThan(1);
    for (const n of calls) expect(n).toBeLessThanOrEqual(4);
  });

  it("reads about as many rows as a limit needs per shard, not the collection", async () => {
    const c = memoryCluster(3, "c");
    opened.push(c);
    for (let i = 0; i < 300; i++) c.put(`d${i}`, { n: i });
    const page = await runQueryPage(c.shards, spec({ order: [{ path: ["__id__"], descending: false }] }), 5, null, { deadline, explain: true });
    expect(page.documents).toHaveLength(5);
    // Ordered by id, each shard reads its first rows from the primary key:
    // the page, one more to tell whether there is a next page, and one more
    // to tell whether the shard has more: 7 of its ~100 rows.
    for (const s of page.report.shards) expect(s.rowsRead).toBeLessThanOrEqual(7);
  });

  it("streams results across pages of shard batches, and applies offset and limit once", async () => {
    const c = memoryCluster(3, "c");
    opened.push(c);
    for (let i = 0; i < 250; i++) c.put(`d${String(i).padStart(3, "0")}`, { n: i % 10 });
    const got: string[] = [];
    const stream = streamQuery(c.shards, spec({ offset: 7, limit: 180, order: [{ path: ["n"], descending: true }] }), { deadline, explain: true });
    let next = await stream.next();
    while (!next.done) {
      got.push(next.value.id);
      next = await stream.next();
    }
    const want = Array.from({ length: 250 }, (_, i) => ({ id: `d${String(i).padStart(3, "0")}`, n: i % 10 }))
      .sort((a, b) => b.n - a.n || (a.id < b.id ? 1 : -1))
      .slice(7, 187)
      .map((d) => d.id);
    expect(got).toEqual(want);
    expect(next.value.rowsReturned).toBe(180);
  });

  it("fails RESOURCE_EXHAUSTED past the rows-read budget and DEADLINE_EXCEEDED past the deadline", async () => {
    const c = memoryCluster(2, "c");
    opened.push(c);
    for (let i = 0; i < 50; i++) c.put(`d${i}`, { n: i });
    await expect(runQueryPage(c.shards, spec(), 5, null, { deadline, explain: false, rowsReadMax: 10 })).rejects.toMatchObject({ kind: "resource_exhausted" });
    const slow = { ...c.shards, query: () => new Promise<never>(() => {}) };
    const soon = { atMs: Date.now() + 30, now: () => Date.now() };
    await expect(runQueryPage(slow, spec(), 5, null, { deadline: soon, explain: false })).rejects.toMatchObject({ kind: "deadline_exceeded" });
  });

  it("keeps at most the configured number of shard calls in flight", async () => {
    const limit = createLimiter(3);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 12 }, () =>
        limit(async () => {
          peak = Math.max(peak, ++active);
          await new Promise((r) => setTimeout(r, 5));
          active--;
        }),
      ),
    );
    expect(peak).toBe(3);
  });
});
