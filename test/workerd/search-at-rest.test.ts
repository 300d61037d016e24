/**
 * Text index compaction (src/search/compaction.ts): a shard's alarm merges
 * a text index that has gone unchanged for SEARCH_COMPACT_IDLE_MS into one
 * FTS5 segment, in bounded steps, without changing any answer; a write
 * makes the index due again, and the alarm does not touch an index still
 * being written. And what a shard keeps between searches (the passes'
 * reads, storage/unchanged-reads.ts; a rare word's postings,
 * vocabulary-cache.ts) never hides a write, a write intent or an index
 * change.
 */
import { describe, expect, it } from "vitest";
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { AdminService, Resharding_Phase, Resharding_State } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { SEARCH_COMPACT_IDLE_MS } from "../../src/search/limits.js";
import { ftsTableName } from "../../src/search/text-index.js";
import type { StorageObject } from "../../src/objects/StorageObject.js";
import { connectClient, initialRouter } from "./helpers.js";

const db = connectClient(CollectionService);
const admin = connectClient(AdminService);
const query = connectClient(QueryService);
const tx = connectClient(TransactionService);
const router = initialRouter();

const WORDS = ["amber", "basil", "cedar", "dune", "ember", "fjord", "grove", "heath", "iris", "juniper", "kelp", "lichen"];
/** `n` words drawn from WORDS by a generator seeded with `seed`. */
function text(seed: number, n: number): string {
  let x = seed + 1;
  return Array.from({ length: n }, () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return WORDS[(x >>> 16) % WORDS.length]!;
  }).join(" ");
}

const shardStub = (name: string) => env.SHARD.get(env.SHARD.idFromName(name));

interface IndexState {
  segments: number;
  generation: number;
  compacted: number | null;
  changedMs: number | null;
}

/** The FTS5 segments of the collection's text index on a shard (distinct segment ids of its %_idx table), and its compaction bookkeeping. */
function indexState(shard: string, collection: string): Promise<IndexState> {
  return runInDurableObject(shardStub(shard), (_o, state) => {
    const sql = state.storage.sql;
    const segments = sql.exec<{ n: number }>(`SELECT count(DISTINCT segid) AS n FROM "${ftsTableName(collection)}_idx"`).one().n;
    const row = sql.exec<{ generation: number; compacted_generation: number | null; changed_ms: number | null }>(
      "SELECT generation, compacted_generation, changed_ms FROM search_text_stats WHERE collection = ?",
      collection,
    ).one();
    return { segments, generation: row.generation, compacted: row.compacted_generation, changedMs: row.changed_ms };
  });
}

/** Moves the shard's record of its index's last change back past the idle delay, as if that time had passed. */
function ageIndex(shard: string, collection: string): Promise<void> {
  return runInDurableObject(shardStub(shard), (_o, state) => {
    state.storage.sql.exec("UPDATE search_text_stats SET changed_ms = changed_ms - ? WHERE collection = ?", SEARCH_COMPACT_IDLE_MS + 1_000, collection);
  });
}

/** Runs the shard's alarm until its index is compacted (at most `max` alarms); the alarms it took. */
async function alarmUntilCompacted(shard: string, collection: string, max = 200): Promise<number> {
  for (let n = 1; n <= max; n++) {
    await runInDurableObject(shardStub(shard), (_o, state) => state.storage.setAlarm(Date.now()));
    await runDurableObjectAlarm(shardStub(shard));
    const s = await indexState(shard, collection);
    if (s.compacted === s.generation) return n;
  }
  throw new Error(`the index of ${collection} on ${shard} was not compacted in ${max} alarms`);
}

async function searchOf(collection: string, q: string): Promise<Array<[string, number]>> {
  const res = await query.runQuery({ query: { collection, search: { text: q, exact: true } }, pageSize: 50 });
  return res.documents.map((d, i) => [d.id, res.hits[i]!.score] as [string, number]);
}

describe("text index compaction", () => {
  it("merges an index at rest into one segment on every shard, in alarm steps, with every answer unchanged", async () => {
    const collection = "compact_rest";
    await admin.createSearchIndex({ index: { collection, textFields: [{ field: "title", weight: 2 }, { field: "body" }] } });
    // One write per document: each indexing transaction adds a segment.
    const ids = Array.from({ length: 96 }, (_, i) => `d${i}`);
    for (const [i, id] of ids.entries()) {
      await db.setDocument({ ref: { collection, id }, data: { title: text(i, 3), body: text(1_000 + i, 8) } });
    }
    const shards = [...new Set(ids.map((id) => router.shardFor(collection, id)))];
    const before = await Promise.all(shards.map((s) => indexState(s, collection)));
    expect(Math.max(...before.map((s) => s.segments))).toBeGreaterThan(1);
    for (const s of before) expect(s.compacted).not.toBe(s.generation);
    const queries = ["amber", "basil cedar", '"dune ember"', "fjo*", "grove OR heath", "iris -juniper"];
    const answers = await Promise.all(queries.map((q) => searchOf(collection, q)));
    for (const a of answers) expect(a.length).toBeGreaterThan(0);

    // Not yet at rest: the alarm leaves the index alone.
    await runInDurableObject(shardStub(shards[0]!), (_o, state) => state.storage.setAlarm(Date.now()));
    await runDurableObjectAlarm(shardStub(shards[0]!));
    expect((await indexState(shards[0]!, collection)).compacted).toBe(before[0]!.compacted);

    for (const s of shards) {
      await ageIndex(s, collection);
      await alarmUntilCompacted(s, collection);
    }
    const after = await Promise.all(shards.map((s) => indexState(s, collection)));
    for (const [i, s] of after.entries()) {
      expect(s.segments).toBe(1);
      // Compaction changes no document, count or score: the generation stays.
      expect(s.generation).toBe(before[i]!.generation);
    }
    expect(await Promise.all(queries.map((q) => searchOf(collection, q)))).toEqual(answers);
  });

  it("is due again after a write, and the write sets the alarm for when the index is at rest", async () => {
    const collection = "compact_again";
    await admin.createSearchIndex({ index: { collection, textFields: [{ field: "title" }] } });
    await db.setDocument({ ref: { collection, id: "a" }, data: { title: "amber basil" } });
    const shard = router.shardFor(collection, "a");
    await ageIndex(shard, collection);
    await alarmUntilCompacted(shard, collection);
    const compacted = await indexState(shard, collection);
    expect(compacted.compacted).toBe(compacted.generation);

    await runInDurableObject(shardStub(shard), (_o, state) => state.storage.deleteAlarm());
    const writtenAt = Date.now();
    await db.setDocument({ ref: { collection, id: "a" }, data: { title: "cedar dune" } });
    const written = await indexState(shard, collection);
    expect(written.generation).not.toBe(compacted.generation);
    expect(written.compacted).toBe(compacted.generation);
    expect(written.changedMs).toBeGreaterThanOrEqual(writtenAt);
    const alarm = await runInDurableObject(shardStub(shard), (_o, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeLessThanOrEqual(written.changedMs! + SEARCH_COMPACT_IDLE_MS);

    await ageIndex(shard, collection);
    await alarmUntilCompacted(shard, collection);
    expect(await searchOf(collection, "cedar")).toEqual([["a", expect.any(Number)]]);
    expect(await searchOf(collection, "amber")).toEqual([]);
  });
});

describe("a shard's search passes between writes (storage/unchanged-reads.ts)", () => {
  it("see every write, write intent and index change made since the last pass", async () => {
    const collection = "unchanged_reads";
    await admin.createSearchIndex({ index: { collection, textFields: [{ field: "title" }] } });
    await db.setDocument({ ref: { collection, id: "a" }, data: { title: "amber basil" } });
    const shard = router.shardFor(collection, "a");
    const stats = () =>
      runInDurableObject(shardStub(shard), (o: StorageObject) => o.searchStats({ collection, phrases: [{ tokens: ["amber"], prefix: false }], typo: [] }));
    const documentsOf = async () => {
      const s = await stats();
      if (!s.ok) throw new Error(`searchStats refused: ${JSON.stringify(s)}`);
      return [s.documents, s.phraseDocuments[0]];
    };
    expect(await documentsOf()).toEqual([1, 1]);
    expect(await documentsOf()).toEqual([1, 1]);
    // A write to the collection on the same shard: the next pass indexes it first.
    const other = Array.from({ length: 200 }, (_, i) => `b${i}`).find((id) => router.shardFor(collection, id) === shard)!;
    await db.setDocument({ ref: { collection, id: other }, data: { title: "amber cedar" } });
    expect(await documentsOf()).toEqual([2, 2]);
    await db.deleteDocument({ ref: { collection, id: "a" } });
    expect(await documentsOf()).toEqual([1, 1]);
    // A write intent in the collection blocks the pass, and its removal unblocks it.
    await runInDurableObject(shardStub(shard), (_o, state) => {
      state.storage.sql.exec(
        "INSERT INTO tx_intents (collection, id, tx_id, mode, op, data, expires_ms) VALUES (?, 'z', 'tx-test', 'write', 'put', '{}', ?)",
        collection,
        Date.now() + 60_000,
      );
    });
    const blocked = await stats();
    expect(blocked.ok).toBe(false);
    expect((blocked as { blockedBy?: string[] }).blockedBy).toEqual(["tx-test"]);
    await runInDurableObject(shardStub(shard), (_o, state) => void state.storage.sql.exec("DELETE FROM tx_intents WHERE tx_id = 'tx-test'"));
    expect(await documentsOf()).toEqual([1, 1]);
    // The index dropped: the pass says so.
    await admin.deleteSearchIndex({ collection });
    const dropped = await stats();
    expect(dropped.ok).toBe(false);
    expect((dropped as { message?: string }).message).toMatch(/has no search index/);
  });
});

describe("a rare word's postings kept between searches (vocabulary-cache.ts)", () => {
  it("never answer a document as it was: writes, deletes and other fields are seen at once", async () => {
    const collection = "kept_postings";
    await admin.createSearchIndex({ index: { collection, textFields: [{ field: "title" }] } });
    const ids = ["p0", "p1", "p2", "p3", "p4", "p5"];
    for (const [i, id] of ids.entries()) await db.setDocument({ ref: { collection, id }, data: { title: i < 4 ? "zephyr amber" : "amber", n: i } });
    const search = async () => {
      const res = await query.runQuery({ query: { collection, search: { text: "zephyr", exact: true } }, pageSize: 20 });
      return res.documents.map((d) => [d.id, (d.data as { n: number }).n]).sort();
    };
    // The first search finds the word's count; the second reads its postings; later ones keep them.
    for (let i = 0; i < 3; i++) expect(await search()).toEqual([["p0", 0], ["p1", 1], ["p2", 2], ["p3", 3]]);
    // Another field of a document holding the word changes: its new value is answered.
    await db.setDocument({ ref: { collection, id: "p1" }, data: { title: "zephyr amber", n: 10 } });
    expect(await search()).toEqual([["p0", 0], ["p1", 10], ["p2", 2], ["p3", 3]]);
    expect(await search()).toEqual([["p0", 0], ["p1", 10], ["p2", 2], ["p3", 3]]);
    // A document gains the word, another loses it, one is deleted.
    await db.setDocument({ ref: { collection, id: "p4" }, data: { title: "zephyr", n: 4 } });
    await db.setDocument({ ref: { collection, id: "p2" }, data: { title: "amber", n: 2 } });
    await db.deleteDocument({ ref: { collection, id: "p3" } });
    expect(await search()).toEqual([["p0", 0], ["p1", 10], ["p4", 4]]);
    expect(await search()).toEqual([["p0", 0], ["p1", 10], ["p4", 4]]);
    // A transaction's write is seen too.
    const begun = await tx.beginTransaction({});
    await tx.commit({ transaction: begun.transaction, writes: [{ ref: { collection, id: "p5" }, operation: { case: "set", value: { title: "zephyr", n: 5 } } }] });
    expect(await search()).toEqual([["p0", 0], ["p1", 10], ["p4", 4], ["p5", 5]]);
  });
});

// Last in this file: it grows the default database's shard count.
describe("compaction after a resharding", () => {
  it("a new shard that only received a resharding's copies sets its alarm and compacts its index", { timeout: 120_000 }, async () => {
    const collection = "compact_moved";
    await admin.createSearchIndex({ index: { collection, textFields: [{ field: "title" }] } });
    const writes = Array.from({ length: 160 }, (_, i) => ({ ref: { collection, id: `m${i}` }, operation: { case: "set" as const, value: { title: text(i, 4) } } }));
    for (let i = 0; i < writes.length; i += 80) await db.batchWriteDocuments({ writes: writes.slice(i, i + 80) });
    const answer = await searchOf(collection, "amber");
    const before = (await admin.getRoutingTable({})).table!.shards.map((s) => s.id);
    await admin.startResharding({ shardCount: before.length + 2 });
    for (const started = Date.now(); ; ) {
      const { resharding } = await admin.getResharding({});
      if (resharding?.phase === Resharding_Phase.DONE) {
        expect(resharding.state).toBe(Resharding_State.SUCCEEDED);
        break;
      }
      if (Date.now() - started > 90_000) throw new Error("the resharding did not finish");
      await new Promise((r) => setTimeout(r, 100));
    }
    const added = (await admin.getRoutingTable({})).table!.shards.map((s) => s.id).filter((id) => !before.includes(id));
    expect(added).toHaveLength(2);
    for (const shard of added) {
      const state = await indexState(shard, collection);
      expect(state.compacted).not.toBe(state.generation);
      // The copies' indexing set the alarm for when the index is at rest (it had none before this fix).
      const alarm = await runInDurableObject(shardStub(shard), (_o, s) => s.storage.getAlarm());
      expect(alarm).not.toBeNull();
      expect(alarm!).toBeLessThanOrEqual(state.changedMs! + SEARCH_COMPACT_IDLE_MS);
      await ageIndex(shard, collection);
      await alarmUntilCompacted(shard, collection);
    }
    expect(await searchOf(collection, "amber")).toEqual(answer);
  });
});

describe("documents queued for indexing", () => {
  it("are indexed by the alarm, a step at a time, with no write or search to drive it; an object that starts with some sets its alarm", async () => {
    const collection = "queued_alarm";
    await admin.createSearchIndex({ index: { collection, textFields: [{ field: "title" }] } });
    await db.setDocument({ ref: { collection, id: "seed" }, data: { title: "amber" } });
    const shard = router.shardFor(collection, "seed");
    const queued = () => runInDurableObject(shardStub(shard), (_o, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM search_pending").one().n);
    // As search migration 3 leaves a shard: many documents queued, no alarm set, nothing written since.
    await runInDurableObject(shardStub(shard), (_o, state) => {
      for (let i = 0; i < 300; i++) state.storage.sql.exec("INSERT INTO search_pending (collection, id) VALUES (?, ?)", collection, `gone${i}`);
      state.storage.sql.exec("INSERT INTO search_pending (collection, id) VALUES (?, 'seed')", collection);
      return state.storage.deleteAlarm();
    });
    expect(await queued()).toBe(301);
    // The object starts again (a deploy, an eviction): it sets its alarm for the queue. (A stub of an aborted object stays broken: each call takes a new one.)
    await runInDurableObject(shardStub(shard), (_o, state) => state.abort("failpoint restart: the object starts again")).catch(() => undefined);
    expect(await runInDurableObject(shardStub(shard), (_o, state) => state.storage.getAlarm())).not.toBeNull();
    // Alarms run by themselves here too, so the test only runs one when none ran on its own; each indexes
    // at most 128 (SEARCH_MAINTENANCE_ROWS_PER_CALL_MAX, test/unit/search/catch-up.test.ts) and is due again at once.
    const seen: number[] = [];
    for (let n = 0; n < 50 && (await queued()) > 0; n++) {
      await runDurableObjectAlarm(shardStub(shard));
      seen.push(await queued());
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await queued()).toBe(0);
    for (const [i, left] of seen.entries()) expect(left).toBeLessThanOrEqual(i === 0 ? 301 : seen[i - 1]!);
    expect(await searchOf(collection, "amber")).toEqual([["seed", expect.any(Number)]]);
  });
});
