/**
 * The shard's document cache (storage/document-cache.ts) inside workerd:
 * a second read of a document is served from memory, and every path that
 * changes a shard's documents leaves no stale copy behind: single writes
 * and deletes, field transforms, batch writes, one-shard and two-shard
 * commits, DeleteCollection, the alarm, and the resharding steps that
 * write documents directly (stage, discard).
 */
import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { env, runInDurableObject } from "cloudflare:test";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { clusterConfig } from "../../src/env.js";
import { createInitialRoutingTable, createShardRouter } from "../../src/routing/router.js";
import type { StorageObject } from "../../src/objects/StorageObject.js";
import type { DocumentCacheStats } from "../../src/storage/document-cache.js";
import { connectClient, expectCode } from "./helpers.js";

const db = connectClient(CollectionService);
const tx = connectClient(TransactionService);
const config = clusterConfig(env);
const router = createShardRouter(createInitialRoutingTable(config.shardCount, config.virtualNodesPerShard));
const ref = (collection: string, id: string) => ({ collection, id });

function shardOf(collection: string, id: string) {
  return env.SHARD.get(env.SHARD.idFromName(router.shardFor(collection, id)));
}

function inShard<R>(collection: string, id: string, fn: (o: StorageObject, state: DurableObjectState) => R | Promise<R>): Promise<R> {
  return runInDurableObject(shardOf(collection, id), fn as never) as Promise<R>;
}

function cacheStats(collection: string, id: string): Promise<DocumentCacheStats> {
  return inShard(collection, id, (o) => o.stats().documentCache!);
}

/** Reads the document twice and checks that the second read was a cache hit; returns its data. */
async function readCached(collection: string, id: string): Promise<unknown> {
  await db.getDocument({ ref: ref(collection, id) });
  const before = await cacheStats(collection, id);
  const doc = (await db.getDocument({ ref: ref(collection, id) })).document!;
  const after = await cacheStats(collection, id);
  expect(after.hits, "the second read is served from the cache").toBe(before.hits + 1);
  return doc.data;
}

async function dataNow(collection: string, id: string): Promise<unknown> {
  try {
    return (await db.getDocument({ ref: ref(collection, id) })).document!.data;
  } catch {
    return null;
  }
}

/** Two ids of `collection` on different shards. */
function idsOnTwoShards(collection: string): [string, string] {
  const first = router.shardFor(collection, "a0");
  for (let i = 1; ; i++) if (router.shardFor(collection, `a${i}`) !== first) return ["a0", `a${i}`];
}

describe("the shard's document cache", () => {
  it("serves repeated reads from memory, and single writes, transforms and deletes replace what it holds", async () => {
    await db.setDocument({ ref: ref("dc", "a"), data: { n: 1 } });
    expect(await readCached("dc", "a")).toEqual({ n: 1 });
    await db.setDocument({ ref: ref("dc", "a"), data: { n: 2 } });
    expect(await readCached("dc", "a")).toEqual({ n: 2 });
    await db.updateDocument({ ref: ref("dc", "a"), patch: { data: { m: 1 } } });
    expect(await readCached("dc", "a")).toEqual({ n: 2, m: 1 });
    await db.updateDocument({ ref: ref("dc", "a"), patch: { data: {} }, transforms: [{ fieldPath: "n", transformType: { case: "increment", value: { kind: { case: "numberValue", value: 5 } } } }] });
    expect(await readCached("dc", "a")).toEqual({ n: 7, m: 1 });
    await db.deleteDocument({ ref: ref("dc", "a") });
    await expectCode(db.getDocument({ ref: ref("dc", "a") }), Code.NotFound);
    // A failed write changes nothing, and the cache still answers the stored document.
    await db.setDocument({ ref: ref("dc", "a"), data: { n: 8 } });
    expect(await readCached("dc", "a")).toEqual({ n: 8 });
    await expectCode(db.createDocument({ ref: ref("dc", "a"), data: { n: 9 } }), Code.AlreadyExists);
    expect(await readCached("dc", "a")).toEqual({ n: 8 });
  });

  it("batch writes and batch gets stay exact", async () => {
    await db.batchWriteDocuments({ writes: ["b1", "b2", "b3"].map((id) => ({ ref: ref("dcb", id), operation: { case: "set" as const, value: { v: 1 } } })) });
    for (const id of ["b1", "b2"]) expect(await readCached("dcb", id)).toEqual({ v: 1 });
    await db.batchWriteDocuments({
      writes: [
        { ref: ref("dcb", "b1"), operation: { case: "update", value: { data: { v: 2 } } } },
        { ref: ref("dcb", "b2"), operation: { case: "delete", value: {} } },
      ],
    });
    const got = await db.batchGetDocuments({ refs: ["b1", "b2", "b3"].map((id) => ref("dcb", id)) });
    expect(got.results.map((r) => (r.found ? r.document!.data : null))).toEqual([{ v: 2 }, null, { v: 1 }]);
  });

  it("one-shard and two-shard commits, and interactive transactions, replace what it holds", async () => {
    const [a, b] = idsOnTwoShards("dct");
    await db.setDocument({ ref: ref("dct", a), data: { n: 1 } });
    await db.setDocument({ ref: ref("dct", b), data: { n: 1 } });
    expect(await readCached("dct", a)).toEqual({ n: 1 });
    expect(await readCached("dct", b)).toEqual({ n: 1 });
    // One shard: committed in one phase there.
    await tx.commitBatch({ writes: [{ ref: ref("dct", a), operation: { case: "set", value: { n: 2 } } }] });
    expect(await readCached("dct", a)).toEqual({ n: 2 });
    // Two shards: prepared, then committed by the coordinator.
    await tx.commitBatch({
      writes: [
        { ref: ref("dct", a), operation: { case: "set", value: { n: 3 } } },
        { ref: ref("dct", b), operation: { case: "set", value: { n: 3 } } },
      ],
    });
    expect([await readCached("dct", a), await readCached("dct", b)]).toEqual([{ n: 3 }, { n: 3 }]);
    const { transaction } = await tx.beginTransaction({});
    const read = await tx.getDocuments({ transaction, refs: [ref("dct", a), ref("dct", b)] });
    await tx.commit({
      transaction,
      reads: read.reads.map((r) => ({ ref: r.ref!, version: r.version })),
      writes: [
        { ref: ref("dct", a), operation: { case: "update", value: { data: { n: 4 } } } },
        { ref: ref("dct", b), operation: { case: "delete", value: {} } },
      ],
    });
    expect(await dataNow("dct", a)).toEqual({ n: 4 });
    expect(await dataNow("dct", b)).toBeNull();
  });

  it("DeleteCollection drops the collection's documents from it", async () => {
    await db.setDocument({ ref: ref("dcd", "x"), data: { n: 1 } });
    await db.setDocument({ ref: ref("dcdx", "x"), data: { n: 1 } });
    expect(await readCached("dcd", "x")).toEqual({ n: 1 });
    for (let done = false; !done; ) done = (await db.deleteCollection({ collection: "dcd" })).done;
    expect(await dataNow("dcd", "x")).toBeNull();
    expect(await dataNow("dcdx", "x")).toEqual({ n: 1 });
  });

  it("the alarm and the resharding steps that write documents directly leave nothing stale", async () => {
    await db.setDocument({ ref: ref("dcr", "x"), data: { n: 1 } });
    expect(await readCached("dcr", "x")).toEqual({ n: 1 });
    // A resharding target stores copied rows straight into documents (`direct`).
    await inShard("dcr", "x", (o, state) => {
      const row = state.storage.sql.exec("SELECT * FROM documents WHERE collection = 'dcr' AND id = 'x'").one() as Record<string, SqlStorageValue>;
      o.reshardStage([{ collection: "dcr", id: "x", row: { ...row, data: JSON.stringify({ n: 2 }) } as never }], true);
    });
    expect(await readCached("dcr", "x")).toEqual({ n: 2 });
    await inShard("dcr", "x", (o) => o.reshardStage([{ collection: "dcr", id: "x", row: null }], true));
    expect(await dataNow("dcr", "x")).toBeNull();
    await db.setDocument({ ref: ref("dcr", "x"), data: { n: 3 } });
    expect(await readCached("dcr", "x")).toEqual({ n: 3 });
    // A cancelled resharding's new shard drops every copied document.
    await inShard("dcr", "x", (o) => o.reshardDiscard(true));
    expect(await dataNow("dcr", "x")).toBeNull();
    await db.setDocument({ ref: ref("dcr", "x"), data: { n: 4 } });
    expect(await readCached("dcr", "x")).toEqual({ n: 4 });
    // Recovery by alarm may commit transactions the object does not know the documents of: it empties the cache.
    await inShard("dcr", "x", (o) => o.alarm());
    expect((await cacheStats("dcr", "x")).entries).toBe(0);
    expect(await readCached("dcr", "x")).toEqual({ n: 4 });
  });
});
