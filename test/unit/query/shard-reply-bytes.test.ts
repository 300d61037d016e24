/**
 * A shard's reply stops at SHARD_REPLY_BYTES_MAX UTF-8 bytes of document
 * JSON, as the limit's name and docs/limits.md say, for queries and for a
 * listener's snapshot (which is a shard query; past the bound its
 * `hasMore` makes Listen answer RESOURCE_EXHAUSTED, "or 1 MiB on one
 * shard" beside LISTEN_MATCHED_DOCUMENTS_MAX). It counted `data.length`,
 * UTF-16 code units: a page of accented or CJK text passed its 1 MiB at up
 * to 2 or 3 MiB.
 */
import { afterEach, describe, expect, it } from "vitest";
import { MATCH_ALL } from "../../../src/query/expression.js";
import { SHARD_REPLY_BYTES_MAX, QUERY_ROWS_READ_MAX } from "../../../src/limits.js";
import { memoryCluster, type MemoryCluster } from "./memory-shards.js";

const opened: MemoryCluster[] = [];
afterEach(() => {
  while (opened.length > 0) opened.pop()!.close();
});

describe("a shard reply's byte bound", () => {
  it("counts UTF-8 bytes of the documents' JSON, not string length", async () => {
    const c = memoryCluster(1, "c");
    opened.push(c);
    // Each document: about 0.3 MiB of UTF-16 code units, 0.6 MiB of UTF-8 ("é" is two bytes).
    const text = "é".repeat(Math.floor(SHARD_REPLY_BYTES_MAX * 0.3));
    for (const id of ["a", "b", "c"]) c.put(id, { text });
    const shard = c.search.shards[0]!;
    const reply = await c.shards.query(shard, { collection: "c", filter: MATCH_ALL, order: [], after: null, limit: 10, rowsReadMax: QUERY_ROWS_READ_MAX, explain: false, rule: null });
    if (!reply.ok) throw new Error(reply.message);
    // Two documents reach the bound (1.2 MiB of UTF-8); the third waits for the next batch.
    expect(reply.documents.map((d) => d.id)).toEqual(["a", "b"]);
    expect(reply.hasMore).toBe(true);
  });
});
