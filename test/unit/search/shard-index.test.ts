/**
 * A search index's life on one shard: creating while documents wait to be
 * backfilled (a search then is FAILED_PRECONDITION), ready once none wait,
 * idempotent for the same definition, ALREADY_EXISTS for another, and the
 * trigger-fed queue catching every write after it exists.
 */
import { afterEach, describe, expect, it } from "vitest";
import { SEARCH_BACKFILL_ROWS_PER_CALL_MAX } from "../../../src/search/limits.js";
import { backfillShardSearchIndex, createShardSearchIndex, dropShardSearchIndex } from "../../../src/search/shard-index.js";
import { runSearchStats } from "../../../src/search/shard-search.js";
import { maintainSearch } from "../../../src/search/search-maintenance.js";
import { textTotals } from "../../../src/search/text-index.js";
import type { SearchIndexSpec, SearchSql } from "../../../src/search/catalog.js";
import { memoryCluster, type MemoryCluster } from "../query/memory-shards.js";

const SPEC: SearchIndexSpec = { collection: "notes", textFields: [{ field: "text", weight: 1 }], geoField: null };
let cluster: MemoryCluster | null = null;
afterEach(() => cluster?.close());

describe("a search index on one shard", () => {
  it("is creating until its backfill is done, then ready, and keeps up with later writes", () => {
    cluster = memoryCluster(1, "notes");
    const sql = cluster.sqlOf(cluster.search.shards[0]!) as SearchSql;
    const count = SEARCH_BACKFILL_ROWS_PER_CALL_MAX + 10;
    for (let i = 0; i < count; i++) cluster.put(`n${i}`, { text: i % 2 === 0 ? "even words" : "odd words" });
    const first = createShardSearchIndex(sql, SPEC);
    expect(first).toEqual({ ok: true, state: "creating", indexed: SEARCH_BACKFILL_ROWS_PER_CALL_MAX });
    const stats = runSearchStats(sql, { collection: "notes", phrases: [{ tokens: ["even"], prefix: false }], typo: [] });
    expect(stats).toMatchObject({ ok: false, kind: "failed_precondition" });
    // The same definition again continues the backfill; another is refused.
    expect(createShardSearchIndex(sql, SPEC)).toEqual({ ok: true, state: "ready", indexed: 10 });
    expect(createShardSearchIndex(sql, { ...SPEC, textFields: [{ field: "other", weight: 1 }] })).toMatchObject({ ok: false, kind: "already_exists" });
    expect(textTotals(sql, "notes")).toMatchObject({ documents: count, tokens: 2 * count });
    // Writes after it exists are queued by the triggers and indexed by maintenance.
    cluster.put("n0", { text: "now odd" });
    cluster.remove("n1");
    cluster.put("x", { nothing: 1 });
    expect(maintainSearch(sql, 100)).toEqual({ indexed: 3, more: false });
    expect(textTotals(sql, "notes")).toMatchObject({ documents: count - 1, tokens: 2 * count - 2 });
    const after = runSearchStats(sql, { collection: "notes", phrases: [{ tokens: ["even"], prefix: false }, { tokens: ["odd"], prefix: false }], typo: [] });
    expect(after).toMatchObject({ ok: true, documents: count - 1, phraseDocuments: [Math.ceil(count / 2) - 1, Math.floor(count / 2)] });
    expect(backfillShardSearchIndex(sql, "notes")).toEqual({ ok: true, state: "ready", indexed: 0 });
    expect(dropShardSearchIndex(sql, "notes")).toBe(true);
    expect(dropShardSearchIndex(sql, "notes")).toBe(false);
    // Without an index, writes queue nothing.
    cluster.put("y", { text: "more" });
    expect(maintainSearch(sql, 100)).toEqual({ indexed: 0, more: false });
  });
});
