/**
 * A shard's reply stops at SHARD_REPLY_BYTES_MAX UTF-8 bytes of document
 * JSON, as the limit's name and docs/limits.md say, for queries and for a
 * listener's snapshot (which is a shard query; past the bound its
 * `hasMore` makes Listen answer RESOURCE_EXHAUSTED, "or 1 MiB on one
 * shard" beside LISTEN_MATCHED_DOCUMENTS_MAX). It counted `data.length`,
 * UTF-16 code units: a page of accented or CJK text passed its 1 MiB at up
 * to 2 or 3 MiB. The same for a search shard's one pass
 * (SEARCH_ONE_PASS_BYTES_MAX: the documents it sends with its statistics).
 */
import { afterEach, describe, expect, it } from "vitest";
import { MATCH_ALL } from "../../../src/query/expression.js";
import { SHARD_REPLY_BYTES_MAX, QUERY_ROWS_READ_MAX } from "../../../src/limits.js";
import { SEARCH_ONE_PASS_BYTES_MAX } from "../../../src/search/limits.js";
import { compileSearch } from "../../../src/search/compile.js";
import { parseSearchText } from "../../../src/search/query-parser.js";
import { runOnePass } from "../../../src/search/one-pass.js";
import type { SearchSql } from "../../../src/search/catalog.js";
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

  it("a search shard's one pass counts UTF-8 bytes too", () => {
    const c = memoryCluster(1, "c");
    opened.push(c);
    // Two candidates of about 0.4 of the bound each in UTF-16 code units, 0.8 each in UTF-8.
    const filler = "é".repeat(Math.floor(SEARCH_ONE_PASS_BYTES_MAX * 0.4));
    for (const id of ["a", "b"]) c.put(id, { title: "rare word", filler });
    c.createSearchIndex({ collection: "c", textFields: [{ field: "title", weight: 1 }], geoField: null });
    const sql = c.sqlOf(c.search.shards[0]!) as SearchSql;
    const compiled = compileSearch(parseSearchText("rare"), new Map());
    const req = { match: compiled.match, tree: compiled.tree, phrases: compiled.phrases, filter: MATCH_ALL, rule: null };
    for (const fromInstances of [false, true]) {
      // 1.6 times the bound: no one-pass answer (the scoring pass serves it).
      expect(runOnePass(sql, "c", [{ field: "title", weight: 1 }], req, null, fromInstances).answer, `from instances: ${fromInstances}`).toBeNull();
    }
  });
});
