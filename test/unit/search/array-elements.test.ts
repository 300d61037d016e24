/**
 * An array-of-strings text field indexes its elements apart (text-index.ts
 * ELEMENT_GAP_TOKEN): a phrase never matches across two
 * elements, every array hit has a snippet of the element that matched, the
 * ranking is one FTS5 database's bm25() over the same stored text, and an
 * index built before the gap is re-indexed (catalog.ts migration 3) before
 * any search answers from it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { DatabaseSync } from "node:sqlite";
import type { JsonObject } from "@bufbuild/protobuf";
import { MATCH_ALL } from "../../../src/query/expression.js";
import { runSearchPage } from "../../../src/search/search-executor.js";
import { parseSearchText } from "../../../src/search/query-parser.js";
import { SEARCH_MIGRATIONS, type SearchIndexSpec } from "../../../src/search/catalog.js";
import { documentColumns, ftsTableName } from "../../../src/search/text-index.js";
import { highlights } from "../../../src/search/highlight.js";
import { compareHits } from "../../../src/search/shard-search.js";
import { memoryCluster, type MemoryCluster } from "../query/memory-shards.js";

const COLLECTION = "posts";
const SPEC: SearchIndexSpec = { collection: COLLECTION, textFields: [{ field: "tags", weight: 2 }, { field: "title", weight: 1 }], geoField: null };
const spec = { collection: COLLECTION, filter: MATCH_ALL, order: [], limit: null, offset: 0, select: null };
const deadline = () => ({ atMs: Date.now() + 60_000, now: () => Date.now() });
const DOCS: Record<string, JsonObject> = {
  apart: { tags: ["open", "source"], title: "tools" },
  reversed: { tags: ["source", "open"], title: "tools" },
  joined: { tags: ["open source", "linux"], title: "kernel" },
  empty_between: { tags: ["open", "", "!!", "source code"], title: "mixed" },
  title_only: { tags: 7, title: "open source news" },
};
const opened: Array<{ close(): void }> = [];
afterEach(() => {
  while (opened.length > 0) opened.pop()!.close();
});

function cluster(count: number): MemoryCluster {
  const c = memoryCluster(count, COLLECTION);
  opened.push(c);
  c.createSearchIndex(SPEC);
  for (const [id, data] of Object.entries(DOCS)) c.put(id, data);
  return c;
}

async function search(c: MemoryCluster, text: string) {
  const node = parseSearchText(text);
  const page = await runSearchPage(c.search, spec, { node, exact: true }, 100, null, { deadline: deadline(), explain: false });
  return page.documents.map((d) => ({ id: d.doc.id, score: d.score, highlights: highlights(SPEC.textFields, page.plan.compiled, d.doc.id, DOCS[d.doc.id]!) }));
}

describe("array text fields: elements apart", () => {
  for (const shards of [1, 3]) {
    it(`a phrase matches within one element only, on ${shards} shard(s)`, async () => {
      const c = cluster(shards);
      expect((await search(c, '"open source"')).map((h) => h.id).sort()).toEqual(["joined", "title_only"]);
      // The sibling forms: a word holding two tokens is a phrase too, and an element with no tokens between keeps the gap.
      expect((await search(c, "open-source")).map((h) => h.id).sort()).toEqual(["joined", "title_only"]);
      expect((await search(c, '"source open"')).map((h) => h.id)).toEqual([]);
      // Words alone still match in every element.
      expect((await search(c, "open source")).map((h) => h.id).sort()).toEqual(["apart", "empty_between", "joined", "reversed", "title_only"]);
    });
  }

  it("every array hit has a snippet of the element that matched", async () => {
    const c = cluster(3);
    for (const text of ['"open source"', "open source", "sou*", '"source code"']) {
      const hits = await search(c, text);
      expect(hits.length, text).toBeGreaterThan(0);
      for (const h of hits) expect(Object.keys(h.highlights), `${text}: ${h.id}`).not.toEqual([]);
    }
    const joined = (await search(c, '"open source"')).find((h) => h.id === "joined")!;
    expect(joined.highlights["tags"]).toBe("<mark>open</mark> <mark>source</mark>");
    const apart = (await search(c, "open source")).find((h) => h.id === "apart")!;
    expect(apart.highlights["tags"]).toBe("<mark>open</mark> … <mark>source</mark>");
  });

  it("ranks as one FTS5 database's bm25() over the same stored text", async () => {
    const db = new DatabaseSync(":memory:");
    opened.push(db);
    db.exec("CREATE VIRTUAL TABLE o USING fts5(c0, c1, tokenize = 'ascii')");
    const ids = Object.keys(DOCS);
    ids.forEach((id, i) => {
      const columns = documentColumns(SPEC, id, DOCS[id]!);
      db.prepare("INSERT INTO o (rowid, c0, c1) VALUES (?, ?, ?)").run(i + 1, columns[0]!.join(" "), columns[1]!.join(" "));
    });
    const c = cluster(3);
    for (const text of ['"open source"', "open source", "open OR linux", "tools"]) {
      const node = parseSearchText(text);
      const page = await runSearchPage(c.search, spec, { node, exact: true }, 100, null, { deadline: deadline(), explain: false });
      const rows = db.prepare("SELECT rowid AS r, bm25(o, 2.0, 1.0) AS s FROM o WHERE o MATCH ?").all(page.plan.compiled.match) as Array<{ r: number; s: number }>;
      const want = rows.map((r) => ({ id: ids[r.r - 1]!, score: -r.s })).sort(compareHits);
      expect(page.documents.map((d) => d.doc.id), text).toEqual(want.map((w) => w.id));
      page.documents.forEach((d, i) => expect(d.score).toBeCloseTo(want[i]!.score, 9));
    }
  });

  it("an index built before the gap is re-indexed before a search answers", async () => {
    const c = cluster(1);
    const shard = c.search.shards[0]!;
    const sql = c.sqlOf(shard);
    await search(c, "open"); // indexes the queued documents
    // The entry as it was stored before the gap: elements joined directly.
    const row = sql.exec<{ row_id: number }>("SELECT row_id FROM search_text_docs WHERE collection = ? AND id = ?", COLLECTION, "apart").toArray()[0]!;
    sql.exec(`UPDATE "${ftsTableName(COLLECTION)}" SET c0 = 'open source' WHERE rowid = ?`, row.row_id);
    sql.exec("UPDATE search_text_docs SET token_count = 3 WHERE row_id = ?", row.row_id);
    sql.exec("UPDATE search_text_stats SET token_total = token_total - 1 WHERE collection = ?", COLLECTION);
    expect((await search(c, '"open source"')).map((h) => h.id)).toContain("apart");
    // The migration a shard runs once on start.
    const migration = SEARCH_MIGRATIONS.find((m) => m.version === 3)!;
    for (const statement of migration.statements) sql.exec(statement);
    const pending = sql.exec<{ id: string }>("SELECT id FROM search_pending ORDER BY id").toArray().map((r) => r.id);
    expect(pending).toEqual(["apart", "empty_between", "joined", "reversed"]);
    expect((await search(c, '"open source"')).map((h) => h.id).sort()).toEqual(["joined", "title_only"]);
  });
});
