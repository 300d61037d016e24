/**
 * A search indexes at most SEARCH_CATCH_UP_ROWS_MAX queued documents of a
 * shard before it answers (search-maintenance.ts `catchUp`); with more
 * queued it answers UNAVAILABLE while the alarm indexes the rest a step at
 * a time. It had no bound: the first search after a bulk change (or a
 * migration that queues a whole collection) indexed the whole queue.
 */
import { afterEach, describe, expect, it } from "vitest";
import { MATCH_ALL } from "../../../src/query/expression.js";
import { runSearchPage } from "../../../src/search/search-executor.js";
import { parseSearchText } from "../../../src/search/query-parser.js";
import type { SearchIndexSpec, SearchSql } from "../../../src/search/catalog.js";
import { maintainSearch, nextMaintenanceMs } from "../../../src/search/search-maintenance.js";
import { SEARCH_CATCH_UP_ROWS_MAX, SEARCH_MAINTENANCE_ROWS_PER_CALL_MAX } from "../../../src/search/limits.js";
import { FailureError } from "../../../src/errors.js";
import { memoryCluster, type MemoryCluster } from "../query/memory-shards.js";

const COLLECTION = "notes";
const SPEC: SearchIndexSpec = { collection: COLLECTION, textFields: [{ field: "text", weight: 1 }], geoField: null };
const spec = { collection: COLLECTION, filter: MATCH_ALL, order: [], limit: null, offset: 0, select: null };
const opened: MemoryCluster[] = [];
afterEach(() => {
  while (opened.length > 0) opened.pop()!.close();
});

async function search(c: MemoryCluster, text: string) {
  const page = await runSearchPage(c.search, spec, { node: parseSearchText(text), exact: true }, 1_000, null, { deadline: { atMs: Date.now() + 60_000, now: () => Date.now() }, explain: false });
  return page.documents.map((d) => d.doc.id);
}

const queued = (sql: SearchSql) => sql.exec<{ n: number }>("SELECT count(*) AS n FROM search_pending").toArray()[0]!.n;

describe("a search catching up with queued documents", () => {
  it("indexes up to SEARCH_CATCH_UP_ROWS_MAX, answers UNAVAILABLE past it, and answers once the queue is within it", async () => {
    const c = memoryCluster(1, COLLECTION);
    opened.push(c);
    c.createSearchIndex(SPEC);
    const sql = c.sqlOf(c.search.shards[0]!) as SearchSql;
    const total = SEARCH_CATCH_UP_ROWS_MAX + 200;
    for (let i = 0; i < total; i++) c.put(`n${String(i).padStart(5, "0")}`, { text: i === 7 ? "needle in the hay" : `hay number ${i}` });
    expect(queued(sql)).toBe(total);
    expect(nextMaintenanceMs(sql)).toBe(0);

    const refused = await search(c, "needle").then(
      () => null,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(FailureError);
    expect((refused as FailureError).kind).toBe("unavailable");
    expect((refused as FailureError).message).toMatch(/the search index of notes is catching up .*SEARCH_CATCH_UP_ROWS_MAX, 1024.*retry in a moment/);
    // It indexed (and kept) as many as it may; the alarm's steps take the rest.
    expect(queued(sql)).toBe(200);
    expect(maintainSearch(sql, SEARCH_MAINTENANCE_ROWS_PER_CALL_MAX)).toEqual({ indexed: SEARCH_MAINTENANCE_ROWS_PER_CALL_MAX, more: true });
    expect(queued(sql)).toBe(200 - SEARCH_MAINTENANCE_ROWS_PER_CALL_MAX);

    // Within the bound, the search indexes what is left and sees every write.
    expect(await search(c, "needle")).toEqual(["n00007"]);
    expect((await search(c, "hay")).length).toBe(1_000); // a full page
    expect(queued(sql)).toBe(0);
    expect(nextMaintenanceMs(sql)).toBeNull();
  });
});
