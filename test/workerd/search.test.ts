/**
 * Full-text search end to end inside workerd: search indexes through
 * AdminService (backfill, READY, one per collection, delete), every write
 * path keeping the index in step (set, update, delete, batch, transaction,
 * DeleteCollection), RunQuery and StreamQuery with a search (hits, scores,
 * highlights, page tokens, filters, Explain), and bad or hostile input.
 */
import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { Order_Direction } from "../../gen/impossibledb/v1/query_pb.js";
import { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import { SearchIndex_State } from "../../gen/impossibledb/v1/search_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { env, runInDurableObject } from "cloudflare:test";
import { clusterConfig } from "../../src/env.js";
import { connectClient, expectCode } from "./helpers.js";

const db = connectClient(CollectionService);
const query = connectClient(QueryService);
const admin = connectClient(AdminService);
const tx = connectClient(TransactionService);

const ARTICLES = [
  { id: "a1", title: "The quick brown fox", body: "A fox jumps over the lazy dog. Foxes are quick.", year: 2020 },
  { id: "a2", title: "Lazy dogs", body: "The dog sleeps all day; a lazy dog indeed.", year: 2021 },
  { id: "a3", title: "Café culture in Zürich", body: "Coffee, cafés and the naïve charm of the old town.", year: 2022 },
  { id: "a4", title: "Brownies", body: "Chocolate brownies are brown and quick to bake.", year: 2023 },
  { id: "a5", title: "Foxglove", body: "A garden flower; not a fox at all.", year: 2024 },
  { id: "a6", title: "Nothing here", body: "Entirely unrelated text about boats and harbours.", year: 2025 },
];

async function seed(collection: string): Promise<void> {
  await db.batchWriteDocuments({
    writes: ARTICLES.map(({ id, ...data }) => ({ ref: { collection, id }, operation: { case: "set" as const, value: data } })),
  });
}

async function createIndex(collection: string): Promise<void> {
  const res = await admin.createSearchIndex({ index: { collection, textFields: [{ field: "title", weight: 2 }, { field: "body" }] } });
  expect(res.index!.state).toBe(SearchIndex_State.READY);
}

async function search(collection: string, text: string, extra: Record<string, unknown> = {}) {
  return query.runQuery({ query: { collection, search: { text }, ...extra } });
}

const ids = (res: { documents: Array<{ id: string }> }) => res.documents.map((d) => d.id);

describe("search indexes", () => {
  it("are created with a backfill, READY on every shard, one per collection, and deleted", async () => {
    await seed("idx");
    const created = await admin.createSearchIndex({ index: { collection: "idx", textFields: [{ field: "title", weight: 2 }, { field: "body" }] } });
    expect(created.index!.state).toBe(SearchIndex_State.READY);
    expect(created.index!.textFields.map((f) => [f.field, f.weight])).toEqual([["title", 2], ["body", 1]]);
    // The same definition again is idempotent; another one is ALREADY_EXISTS.
    await admin.createSearchIndex({ index: { collection: "idx", textFields: [{ field: "title", weight: 2 }, { field: "body" }] } });
    await expectCode(admin.createSearchIndex({ index: { collection: "idx", textFields: [{ field: "title" }] } }), Code.AlreadyExists, /another definition/);
    // The same fields in another order are another definition, and the message says so.
    await expectCode(admin.createSearchIndex({ index: { collection: "idx", textFields: [{ field: "body" }, { field: "title", weight: 2 }] } }), Code.AlreadyExists, /their order/);
    expect((await admin.getSearchIndex({ collection: "idx" })).index!.state).toBe(SearchIndex_State.READY);
    // Documents written before the index are found (backfill).
    expect(ids(await search("idx", "fox")).sort()).toEqual(["a1", "a5"]);
    await admin.deleteSearchIndex({ collection: "idx" });
    await expectCode(admin.getSearchIndex({ collection: "idx" }), Code.NotFound);
    await expectCode(admin.deleteSearchIndex({ collection: "idx" }), Code.NotFound);
    await expectCode(search("idx", "fox"), Code.FailedPrecondition, /CreateSearchIndex/);
  });

  it("refuses bad definitions", async () => {
    await expectCode(admin.createSearchIndex({ index: { collection: "bad", textFields: [] } }), Code.InvalidArgument);
    await expectCode(admin.createSearchIndex({ index: { collection: "bad", textFields: [{ field: "a" }, { field: "a" }] } }), Code.InvalidArgument);
    await expectCode(admin.createSearchIndex({ index: { collection: "bad", textFields: [{ field: "__id__" }] } }), Code.InvalidArgument);
    await expectCode(admin.createSearchIndex({ index: { collection: "bad", textFields: [{ field: "a..b" }] } }), Code.InvalidArgument);
  });
});

describe("every write path keeps the index in step", () => {
  it("set, update, delete, batch, transaction and DeleteCollection", async () => {
    const c = "paths";
    await createIndex(c);
    await db.setDocument({ ref: { collection: c, id: "s1" }, data: { title: "zebra crossing" } });
    expect(ids(await search(c, "zebra"))).toEqual(["s1"]);
    await db.updateDocument({ ref: { collection: c, id: "s1" }, patch: { data: { title: "giraffe crossing" } } });
    expect(ids(await search(c, "zebra"))).toEqual([]);
    expect(ids(await search(c, "giraffe"))).toEqual(["s1"]);
    // A word one typo away, written after a typo-tolerant search read the
    // vocabulary (shards cache it by index generation), is found at once.
    // ("girafe" is in no document, so it is expanded; a word found as typed
    // is not.)
    expect(ids(await search(c, "girafe"))).toEqual(["s1"]);
    await db.setDocument({ ref: { collection: c, id: "s2" }, data: { title: "girafes" } });
    expect(ids(await search(c, "girafe")).sort()).toEqual(["s1", "s2"]);
    expect(ids(await search(c, "giraffe"))).toEqual(["s1"]);
    await db.deleteDocument({ ref: { collection: c, id: "s2" } });
    await db.deleteDocument({ ref: { collection: c, id: "s1" } });
    expect(ids(await search(c, "giraffe"))).toEqual([]);
    await db.batchWriteDocuments({
      writes: Array.from({ length: 30 }, (_, i) => ({ ref: { collection: c, id: `b${i}` }, operation: { case: "set" as const, value: { title: `okapi number ${i}`, body: i % 2 ? "odd" : "even" } } })),
    });
    expect((await search(c, "okapi", { limit: 100 })).documents).toHaveLength(30);
    expect((await search(c, "okapi even", { limit: 100 })).documents).toHaveLength(15);
    // A transaction across shards: writes and deletes commit together.
    const { transaction } = await tx.beginTransaction({});
    await tx.commit({
      transaction,
      writes: [
        { ref: { collection: c, id: "t1" }, operation: { case: "set", value: { title: "narwhal" } } },
        { ref: { collection: c, id: "t2" }, operation: { case: "set", value: { body: "narwhal tusk" } } },
        { ref: { collection: c, id: "b0" }, operation: { case: "delete", value: {} } },
      ],
    });
    expect(ids(await search(c, "narwhal")).sort()).toEqual(["t1", "t2"]);
    expect((await search(c, "okapi", { limit: 100 })).documents).toHaveLength(29);
    await tx.commitBatch({ writes: [{ ref: { collection: c, id: "t3" }, operation: { case: "set", value: { title: "narwhal pod" } } }] });
    expect(ids(await search(c, "narwhal pod"))).toEqual(["t3"]);
    await db.deleteCollection({ collection: c });
    expect(ids(await search(c, "okapi OR narwhal"))).toEqual([]);
    // The index stays: new documents are indexed again.
    await db.setDocument({ ref: { collection: c, id: "n1" }, data: { title: "okapi again" } });
    const again = await query.runQuery({ query: { collection: c, search: { text: "okapi" } }, explain: true });
    expect(ids(again)).toEqual(["n1"]);
    expect(again.plan!.search!.documentsTotal).toBe(1n);
  });
});

describe("shards' caches of the vocabulary", () => {
  it("a write is seen by the next search: a word now found as typed is no longer expanded, and counts move", async () => {
    // Shards keep word counts (and typo ranges) in memory until their index
    // changes; a two-word query reads them (a lone word's count comes from
    // its one-pass candidates instead).
    const c = "vocab_cache";
    await createIndex(c);
    await db.setDocument({ ref: { collection: c, id: "v1" }, data: { title: "giraffe crossing" } });
    const explain = (text: string) => query.runQuery({ query: { collection: c, search: { text } }, explain: true });
    const before = await explain("girafe crossing");
    expect(ids(before)).toEqual(["v1"]);
    expect(before.plan!.search!.compiled).toBe('(("girafe" OR "giraffe") AND "crossing")');
    // The same words again (another search, so the Worker has no
    // statistics of it cached) read no vocabulary row: the counts, the typo
    // range and the variants are the shards' cached ones, so each shard
    // reads its totals' row alone (no document matches without variants).
    const reordered = await explain("crossing girafe");
    expect(reordered.plan!.search!.compiled).toBe('("crossing" AND ("girafe" OR "giraffe"))');
    expect(reordered.plan!.search!.terms.map((t) => [t.term, t.documents])).toEqual([["crossing", 1n], ["girafe", 0n], ["giraffe", 1n]]);
    expect(reordered.plan!.search!.statsRowsRead).toBe(BigInt(reordered.plan!.shards.length));
    // The same search again takes no statistics pass at all: the Worker
    // kept its statistics, and every shard's index generation is unchanged
    // (search/stats-cache.ts).
    const again = await explain("girafe crossing");
    expect(ids(again)).toEqual(["v1"]);
    expect(again.plan!.search!.terms).toEqual(before.plan!.search!.terms);
    expect(again.plan!.search!.statsRowsRead).toBe(0n);
    expect(again.plan!.shards.every((s) => s.sqlPlan.endsWith("with the Worker's cached statistics (index generation checked)"))).toBe(true);
    await db.setDocument({ ref: { collection: c, id: "v2" }, data: { title: "girafe crossing" } });
    const after = await explain("girafe crossing");
    expect(ids(after)).toEqual(["v2"]);
    expect(after.plan!.search!.compiled).toBe('("girafe" AND "crossing")');
    expect(after.plan!.search!.terms.map((t) => [t.term, t.documents])).toEqual([["girafe", 1n], ["crossing", 2n]]);
    // A new neighbour word is found by the next typo search (shards keep
    // each term's variants too).
    expect(ids(await explain("zebraz crossing"))).toEqual([]);
    await db.setDocument({ ref: { collection: c, id: "v3" }, data: { title: "crossing of zebras" } });
    const neighbour = await explain("zebraz crossing");
    expect(ids(neighbour)).toEqual(["v3"]);
    expect(neighbour.plan!.search!.terms.map((t) => [t.term, t.documents])).toEqual([["zebraz", 0n], ["zebras", 1n], ["crossing", 3n]]);
  });
});

describe("search queries", () => {
  it("rank by BM25 with hits, highlights, typos, prefixes, phrases and boolean operators", async () => {
    const c = "articles";
    await seed(c);
    await createIndex(c);
    const res = await query.runQuery({ query: { collection: c, search: { text: "fox", highlight: true } } });
    // a1's title and body hold "fox"; a5's body only (its title is "Foxglove", another word).
    expect(ids(res)).toEqual(["a1", "a5"]);
    expect(res.hits).toHaveLength(2);
    expect(res.hits[0]!.score).toBeGreaterThan(res.hits[1]!.score);
    expect(res.hits[1]!.score).toBeGreaterThan(0);
    expect(res.hits[0]!.highlights).toEqual({ title: "The quick brown <mark>fox</mark>", body: "A <mark>fox</mark> jumps over the lazy dog. Foxes are quick." });
    // Accents and case fold; highlights show the original text.
    const cafe = await query.runQuery({ query: { collection: c, search: { text: "CAFE zurich", highlight: true } } });
    expect(ids(cafe)).toEqual(["a3"]);
    expect(cafe.hits[0]!.highlights.title).toBe("<mark>Café</mark> culture in <mark>Zürich</mark>");
    // With a select, only the selected fields are highlighted.
    const selected = await query.runQuery({ query: { collection: c, search: { text: "fox", highlight: true }, select: { fieldPaths: ["title"] } } });
    expect(selected.hits[0]!.highlights).toEqual({ title: "The quick brown <mark>fox</mark>" });
    expect(selected.hits[1]!.highlights).toEqual({});
    // One typo in a 5+ letter word is tolerated, unless exact.
    expect(ids(await search(c, "browm")).sort()).toEqual(["a1", "a4"]);
    expect(ids(await query.runQuery({ query: { collection: c, search: { text: "browm", exact: true } } }))).toEqual([]);
    expect(ids(await search(c, "fox*")).sort()).toEqual(["a1", "a5"]);
    expect(ids(await search(c, '"lazy dog"')).sort()).toEqual(["a1", "a2"]);
    expect(ids(await search(c, "lazy NOT fox"))).toEqual(["a2"]);
    expect(ids(await search(c, "(brownies OR foxglove) AND garden"))).toEqual(["a5"]);
    expect(ids(await search(c, "harbours OR garden")).sort()).toEqual(["a5", "a6"]);
  });

  it("a word with many typo variants in the collection is searched, not answered INTERNAL", async () => {
    // A new user's products: "carte" has five words one edit away (cart,
    // care, carts, caret, cartel); the scoring statement joined one SELECT
    // per variant and the word itself, and SQLite refused more than five
    // ("too many terms in compound SELECT", answered INTERNAL).
    const c = "typo_variants";
    const names = ["Shopping cart", "Toy cars", "Skin care", "Gift card", "Golf carts", "Caret symbol", "Cartel drama"];
    await db.batchWriteDocuments({ writes: names.map((title, i) => ({ ref: { collection: c, id: `p${i}` }, operation: { case: "set" as const, value: { title, body: "" } } })) });
    await createIndex(c);
    expect(ids(await search(c, "carte")).sort()).toEqual(["p0", "p2", "p4", "p5", "p6"]);
    expect(ids(await search(c, "carte OR cars")).sort()).toEqual(["p0", "p1", "p2", "p4", "p5", "p6"]);
    // A quoted word is matched as written, as search.md says of phrase words ("crate" found "carte" through typo tolerance).
    expect(ids(await search(c, '"carte"'))).toEqual([]);
    expect(ids(await search(c, '"caret"'))).toEqual(["p5"]);
    // Seven SELECTs (six for carte, one for caret as typed), nested.
    expect(ids(await search(c, "carte OR caret")).sort()).toEqual(["p0", "p2", "p4", "p5", "p6"]);
  });

  it("combines with filters, select, limit, offset and pages, and explains both passes", async () => {
    const c = "paged";
    await db.batchWriteDocuments({
      writes: Array.from({ length: 40 }, (_, i) => ({
        ref: { collection: c, id: `p${String(i).padStart(2, "0")}` },
        operation: { case: "set" as const, value: { title: `walrus ${"walrus ".repeat(i % 5)}`, body: `seal ${i}`, n: i } },
      })),
    });
    await createIndex(c);
    const all = await query.runQuery({ query: { collection: c, search: { text: "walrus" } }, pageSize: 100 });
    expect(all.documents).toHaveLength(40);
    for (let i = 1; i < all.hits.length; i++) {
      const [a, b] = [all.hits[i - 1]!, all.hits[i]!];
      expect(a.score > b.score || (a.score === b.score && all.documents[i - 1]!.id < all.documents[i]!.id)).toBe(true);
    }
    // Pages resume after (score, id): the walk equals the single page.
    const walked: string[] = [];
    let token = "";
    do {
      const page = await query.runQuery({ query: { collection: c, search: { text: "walrus" } }, pageSize: 7, pageToken: token });
      walked.push(...ids(page));
      token = page.nextPageToken;
    } while (token !== "");
    expect(walked).toEqual(ids(all));
    // A token of another search is refused.
    const first = await query.runQuery({ query: { collection: c, search: { text: "walrus" } }, pageSize: 7 });
    await expectCode(query.runQuery({ query: { collection: c, search: { text: "seal" } }, pageSize: 7, pageToken: first.nextPageToken }), Code.InvalidArgument);
    // Filters, select, limit and offset apply to the ranked results.
    const filtered = await query.runQuery({ query: { collection: c, search: { text: "walrus" }, filter: "n >= 30", select: { fieldPaths: ["n"] }, limit: 5, offset: 1 } });
    const expected = ids(all).filter((id) => Number(id.slice(1)) >= 30).slice(1, 6);
    expect(ids(filtered)).toEqual(expected);
    expect(filtered.documents[0]!.data).toEqual({ n: Number(expected[0]!.slice(1)) });
    // StreamQuery sends each document with its hit, then the plan.
    const streamed: Array<[string, number]> = [];
    let plan;
    for await (const m of query.streamQuery({ query: { collection: c, search: { text: "walrus" } }, explain: true })) {
      if (m.result.case === "document") streamed.push([m.result.value.id, m.hit!.score]);
      else if (m.result.case === "plan") plan = m.result.value;
    }
    expect(streamed.map(([id]) => id)).toEqual(ids(all));
    expect(streamed.map(([, s]) => s)).toEqual(all.hits.map((h) => h.score));
    expect(plan!.search!.documentsTotal).toBe(40n);
    expect(plan!.search!.terms).toEqual([expect.objectContaining({ term: "walrus", documents: 40n })]);
    expect(plan!.search!.compiled).toBe('"walrus"');
    expect(plan!.search!.averageLength).toBeGreaterThan(2);
    expect(plan!.search!.statsRowsRead).toBeGreaterThan(0n);
    // 40 candidates: every shard sent its own with its statistics (one pass), so their rows are the statistics pass's.
    expect(plan!.shards.every((s) => s.sqlPlan.startsWith('one pass: FTS5 MATCH "walrus"'))).toBe(true);
    expect(Number(plan!.search!.statsRowsRead) + plan!.shards.reduce((n, s) => n + Number(s.rowsRead), 0)).toBeGreaterThanOrEqual(40);
  });

  it("a page walk returns every document that matches throughout it exactly once while the collection is written", async () => {
    // The new-user report: 100 matches, a write of a non-matching document
    // between two pages, and the walk ended after 50 (scores moved with
    // the collection's statistics).
    const c = "walk_writes";
    await db.batchWriteDocuments({
      writes: [
        ...Array.from({ length: 100 }, (_, i) => ({ ref: { collection: c, id: `m${String(i).padStart(3, "0")}` }, operation: { case: "set" as const, value: { title: `apple ${"word ".repeat(i % 9)}`, body: "" } } })),
        ...Array.from({ length: 200 }, (_, i) => ({ ref: { collection: c, id: `o${String(i).padStart(3, "0")}` }, operation: { case: "set" as const, value: { title: "pear", body: "" } } })),
      ],
    });
    await createIndex(c);
    for (const text of ["apple", "apples"]) {
      const seen: string[] = [];
      let token = "";
      let round = 0;
      do {
        const page = await query.runQuery({ query: { collection: c, search: { text } }, pageSize: 13, pageToken: token });
        seen.push(...ids(page));
        token = page.nextPageToken;
        // Between pages: long non-matching documents (N and the average
        // length change), a new word one edit from the typo'd query, and
        // churn on a document that matches throughout.
        await db.setDocument({ ref: { collection: c, id: `pad-${text}-${round}` }, data: { title: "pad ".repeat(300), body: "" } });
        await db.setDocument({ ref: { collection: c, id: `variant-${text}-${round}` }, data: { title: `applez${round}x`, body: "" } });
        await db.setDocument({ ref: { collection: c, id: "m050" }, data: { title: `apple ${"word ".repeat(round % 9)}`, body: "" } });
        round++;
      } while (token !== "" && round < 50);
      expect(token).toBe("");
      const matching = Array.from({ length: 100 }, (_, i) => `m${String(i).padStart(3, "0")}`);
      // Every document matching throughout (all but m050, which moved) comes exactly once.
      for (const id of matching.filter((id) => id !== "m050")) expect(seen.filter((s) => s === id), `${text}: ${id}`).toHaveLength(1);
      expect(new Set(seen).size).toBe(seen.length);
    }
  });

  it("a page token from before the index was redefined is refused; the same definition made again keeps it", async () => {
    const c = "redefined";
    await db.batchWriteDocuments({
      writes: Array.from({ length: 12 }, (_, i) => ({ ref: { collection: c, id: `h${i}` }, operation: { case: "set" as const, value: { title: `hotel ${"room ".repeat(i % 4)}`, body: i % 2 === 0 ? "hotel hotel" : "inn" } } })),
    });
    const titleOnly = { collection: c, textFields: [{ field: "title", weight: 1 }] };
    await admin.createSearchIndex({ index: titleOnly });
    const first = await query.runQuery({ query: { collection: c, search: { text: "hotel" } }, pageSize: 5 });
    expect(first.nextPageToken).not.toBe("");
    // Dropped and made again with the same definition: the walk goes on.
    await admin.deleteSearchIndex({ collection: c });
    await admin.createSearchIndex({ index: titleOnly });
    const second = await query.runQuery({ query: { collection: c, search: { text: "hotel" } }, pageSize: 5, pageToken: first.nextPageToken });
    expect(second.documents.length).toBeGreaterThan(0);
    // Redefined with other fields and weights: its scores no longer compare with the first page's.
    await admin.deleteSearchIndex({ collection: c });
    await admin.createSearchIndex({ index: { collection: c, textFields: [{ field: "title", weight: 3 }, { field: "body" }] } });
    await expectCode(query.runQuery({ query: { collection: c, search: { text: "hotel" } }, pageSize: 5, pageToken: first.nextPageToken }), Code.FailedPrecondition, /redefined/);
  });

  it("answers bad and hostile search text with INVALID_ARGUMENT, never INTERNAL", async () => {
    const c = "hostile";
    await seed(c);
    await createIndex(c);
    for (const text of ['"unterminated', "(fox", "fox)", "*", "fox AND", "OR fox", "NOT fox", "fox OR NOT dog", "()", "a*", '""', "NOT", "fox NOT NOT dog", "(".repeat(40) + "fox" + ")".repeat(40)]) {
      await expectCode(search(c, text), Code.InvalidArgument);
    }
    // FTS5 syntax is plain text here: column filters, NEAR, ^ and + find words or nothing.
    for (const text of ["title:fox", "NEAR(fox dog)", "^fox", "fox + dog", "{title body}: fox", "fox:*", "\u0000fox", "fox -dog", "'fox'"]) {
      const res = await search(c, text);
      expect(Array.isArray(res.documents)).toBe(true);
    }
    // NEAR is a word and the parentheses group: the same as the plain words.
    await db.setDocument({ ref: { collection: c, id: "near" }, data: { title: "near the fox and the dog" } });
    expect(ids(await search(c, "NEAR(fox dog)"))).toEqual(["near"]);
    // A column filter is a phrase of its words.
    expect(ids(await search(c, "body:fox"))).toEqual([]);
    await expectCode(search(c, "word ".repeat(40)), Code.InvalidArgument, /SEARCH_TERMS_MAX/);
    await expectCode(query.runQuery({ query: { collection: c, search: { text: "fox" }, orderBy: [{ field: "year", direction: Order_Direction.ASCENDING }] } }), Code.InvalidArgument);
    await expectCode(query.runQuery({ query: { collection: c, search: {} } }), Code.InvalidArgument);
    // A text-only index cannot answer near (geo search: test/workerd/search-geo.test.ts).
    await expectCode(query.runQuery({ query: { collection: c, search: { near: { center: { latitude: 1, longitude: 2 }, radiusMeters: 10 } } } }), Code.FailedPrecondition, /no geo_field/);
    await expectCode(query.runAggregationQuery({ query: { collection: c, search: { text: "fox" } }, aggregations: [{ alias: "n", function: 1 }] }), Code.InvalidArgument);
    await expectCode(search("no_index_here", "fox"), Code.FailedPrecondition, /CreateSearchIndex/);
  });
});

describe("a search that stops early leaves no statement open", () => {
  /** On every shard: SQLite drops a table only while no statement of the connection is still active. */
  async function dropsGoThrough(): Promise<string[]> {
    const refused: string[] = [];
    for (let i = 0; i < clusterConfig(env).shardCount; i++) {
      const stub = env.SHARD.get(env.SHARD.idFromName(`shard-${i}`));
      const error = await runInDurableObject(stub, (_o, state) => {
        try {
          state.storage.sql.exec("CREATE TABLE IF NOT EXISTS drop_probe (a INTEGER)");
          state.storage.sql.exec("DROP TABLE drop_probe");
          return null;
        } catch (err) {
          return String(err);
        }
      });
      if (error !== null) refused.push(`shard-${i}: ${error}`);
    }
    return refused;
  }

  it("so DeleteSearchIndex and DeleteIndex right after it succeed (a new user's finding: INTERNAL, SQLITE_LOCKED)", async () => {
    const c = "early_stop";
    await db.batchWriteDocuments({
      writes: Array.from({ length: 120 }, (_, i) => ({ ref: { collection: c, id: `d${String(i).padStart(3, "0")}` }, operation: { case: "set" as const, value: { t: `common word ${"x ".repeat(i % 7)}`, n: i } } })),
    });
    await admin.createSearchIndex({ index: { collection: c, textFields: [{ field: "t" }] } });
    await admin.createIndex({ index: { collection: c, fields: [{ field: "n" }] } });
    // Unfiltered (a bounded statement), typo-expanded, and filtered (batches read on demand).
    expect((await query.runQuery({ query: { collection: c, search: { text: "comon" } }, pageSize: 2 })).documents).toHaveLength(2);
    expect(await dropsGoThrough()).toEqual([]);
    expect((await query.runQuery({ query: { collection: c, search: { text: "common" }, filter: "n >= 100" }, pageSize: 3 })).documents).toHaveLength(3);
    expect(await dropsGoThrough()).toEqual([]);
    expect((await query.runQuery({ query: { collection: c, search: { text: "common" }, filter: "n >= 0" }, pageSize: 2 })).documents).toHaveLength(2);
    expect(await dropsGoThrough()).toEqual([]);
    // Filtered searches read on past their first batch and still give the oracle's order.
    const walked: string[] = [];
    let pageToken = "";
    do {
      const page = await query.runQuery({ query: { collection: c, search: { text: "common" }, filter: "n >= 60" }, pageSize: 7, pageToken });
      walked.push(...page.documents.map((d) => d.id));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    expect(new Set(walked).size).toBe(60);
    expect(await dropsGoThrough()).toEqual([]);
    await admin.deleteSearchIndex({ collection: c });
    await expectCode(admin.getSearchIndex({ collection: c }), Code.NotFound);
    const indexes = await admin.listIndexes({ collection: c });
    await admin.deleteIndex({ collection: c, id: indexes.indexes[0]!.id });
  });
});
