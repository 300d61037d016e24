/**
 * Read-only transactions read one snapshot, taken at BeginTransaction, and
 * never abort; retries (retry_of) read with locks and win by age.
 */
import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { env, runInDurableObject } from "cloudflare:test";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { clusterConfig } from "../../src/env.js";
import { createInitialRoutingTable, createShardRouter } from "../../src/routing/router.js";
import { CLOCK_UNCERTAINTY_MS } from "../../src/limits.js";
import { connectClient, expectCode } from "./helpers.js";

const db = connectClient(CollectionService);
const tx = connectClient(TransactionService);
const config = clusterConfig(env);
const router = createShardRouter(createInitialRoutingTable(config.shardCount, config.virtualNodesPerShard));
const shard = (collection: string, id: string) => env.SHARD.get(env.SHARD.idFromName(router.shardFor(collection, id)));
const set = (collection: string, id: string, data: Record<string, number>) => ({ ref: { collection, id }, operation: { case: "set" as const, value: data } });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Two ids of `collection` on different shards. */
function idsOnTwoShards(collection: string): [string, string] {
  for (let i = 1; ; i++) if (router.shardFor(collection, `a${i}`) !== router.shardFor(collection, "a0")) return ["a0", `a${i}`];
}

/**
 * Waits until the clock passes a snapshot just taken. A snapshot lies
 * CLOCK_UNCERTAINTY_MS ahead of its begin, so a write in between may fall
 * inside it (allowed: it overlapped the begin); writes after this may not.
 */
const pastSnapshot = () => sleep(CLOCK_UNCERTAINTY_MS + 5);

async function readOnly(): Promise<string> {
  return (await tx.beginTransaction({ options: { readOnly: true } })).transaction;
}

async function values(transaction: string, collection: string, ids: string[]): Promise<Array<number | null>> {
  const { reads } = await tx.getDocuments({ transaction, refs: ids.map((id) => ({ collection, id })) });
  return reads.map((r) => (r.document === undefined ? null : (r.document.data as { n: number }).n));
}

describe("read-only transactions", () => {
  it("read the snapshot of their begin: later writes, deletes and creates stay invisible, and commit never aborts", async () => {
    const [a, b] = idsOnTwoShards("snap");
    await db.setDocument({ ref: { collection: "snap", id: a }, data: { n: 1 } });
    await db.setDocument({ ref: { collection: "snap", id: b }, data: { n: 1 } });
    const snapshot = await readOnly();
    await pastSnapshot();
    await tx.commitBatch({ writes: [set("snap", a, { n: 2 }), set("snap", b, { n: 2 })] });
    await db.deleteDocument({ ref: { collection: "snap", id: a } });
    await db.setDocument({ ref: { collection: "snap", id: "late" }, data: { n: 9 } });
    expect(await values(snapshot, "snap", [a, b, "late"])).toEqual([1, 1, null]);
    // A read-only commit validates nothing: it commits although everything it read changed.
    const { reads } = await tx.getDocuments({ transaction: snapshot, refs: [{ collection: "snap", id: b }] });
    await tx.commit({ transaction: snapshot, reads: reads.map((r) => ({ ref: r.ref, version: r.version })) });
    expect(await values(await readOnly(), "snap", [a, b, "late"])).toEqual([null, 2, 9]);
  });

  it("repeat their reads: a write right after a snapshot read lands above the snapshot", async () => {
    await db.setDocument({ ref: { collection: "repeat", id: "x" }, data: { n: 1 } });
    const snapshot = await readOnly();
    expect(await values(snapshot, "repeat", ["x"])).toEqual([1]);
    // Within the snapshot's clock allowance, so only the shard's read mark keeps this write out of it.
    await db.setDocument({ ref: { collection: "repeat", id: "x" }, data: { n: 2 } });
    expect(await values(snapshot, "repeat", ["x"])).toEqual([1]);
  });

  it("see every commit acknowledged before they began", async () => {
    const [a, b] = idsOnTwoShards("acked");
    for (let n = 1; n <= 5; n++) {
      await tx.commitBatch({ writes: [set("acked", a, { n }), set("acked", b, { n })] });
      expect(await values(await readOnly(), "acked", [a, b])).toEqual([n, n]);
    }
  });

  it("superseded versions are trimmed by the shard's alarm only after the retention", async () => {
    await db.setDocument({ ref: { collection: "trim", id: "x" }, data: { n: 1 } });
    await db.setDocument({ ref: { collection: "trim", id: "x" }, data: { n: 2 } });
    const { history, alarm } = await runInDurableObject(shard("trim", "x"), async (_o, state) => ({
      history: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM doc_history WHERE collection = 'trim'").one().n,
      alarm: await state.storage.getAlarm(),
    }));
    expect(history).toBe(1);
    expect(alarm).not.toBeNull();
  });
});

describe("retries (retry_of)", () => {
  it("a retry's reads are locked: a first attempt that would overwrite them aborts, the retry commits", async () => {
    const [a, b] = idsOnTwoShards("retry");
    await db.setDocument({ ref: { collection: "retry", id: a }, data: { n: 1 } });
    const first = await tx.beginTransaction({});
    const retry = await tx.beginTransaction({ options: { retryOf: first.transaction } });
    const { reads } = await tx.getDocuments({ transaction: retry.transaction, refs: [{ collection: "retry", id: a }] });
    const rival = await tx.beginTransaction({});
    const rivalReads = await tx.getDocuments({ transaction: rival.transaction, refs: [{ collection: "retry", id: a }] });
    await expectCode(
      tx.commit({ transaction: rival.transaction, writes: [set("retry", a, { n: 7 })], reads: rivalReads.reads.map((r) => ({ ref: r.ref, version: r.version })) }),
      Code.Aborted,
    );
    await tx.commit({
      transaction: retry.transaction,
      writes: [set("retry", a, { n: 2 }), set("retry", b, { n: 2 })],
      reads: reads.map((r) => ({ ref: r.ref, version: r.version })),
    });
    expect(await values(await readOnly(), "retry", [a, b])).toEqual([2, 2]);
  });

  it("a retry that rolls back releases its read locks; a plain write is never held by them for long", async () => {
    const locks = () =>
      runInDurableObject(shard("release", "x"), (_o, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tx_intents").one().n);
    await db.setDocument({ ref: { collection: "release", id: "x" }, data: { n: 1 } });
    const first = await tx.beginTransaction({});
    const retry = await tx.beginTransaction({ options: { retryOf: first.transaction } });
    await tx.getDocuments({ transaction: retry.transaction, refs: [{ collection: "release", id: "x" }] });
    expect(await locks()).toBe(1);
    await tx.rollback({ transaction: retry.transaction });
    await sleep(50);
    expect(await locks()).toBe(0);

    const other = await tx.beginTransaction({ options: { retryOf: first.transaction } });
    await tx.getDocuments({ transaction: other.transaction, refs: [{ collection: "release", id: "x" }] });
    // The plain write waits for the retry in its way until the retry has been
    // quiet for TX_READ_LOCK_LEASE_MS, then aborts it.
    await db.setDocument({ ref: { collection: "release", id: "x" }, data: { n: 3 } });
    await expectCode(tx.commit({ transaction: other.transaction, writes: [set("release", "x", { n: 4 })] }), Code.Aborted);
    expect((await db.getDocument({ ref: { collection: "release", id: "x" } })).document!.data).toEqual({ n: 3 });
  });

  it("refuses a retry_of that is not one of our ids, read-only transactions too (which take nothing from it)", async () => {
    await expectCode(tx.beginTransaction({ options: { retryOf: "tx2.forged.mac" } }), Code.InvalidArgument, /retry_of/);
    await expectCode(tx.beginTransaction({ options: { readOnly: true, retryOf: "abc" } }), Code.InvalidArgument, /retry_of/);
    // One of ours is accepted for a read-only one, as before.
    const first = await tx.beginTransaction({ options: { readOnly: true } });
    expect((await tx.beginTransaction({ options: { readOnly: true, retryOf: first.transaction } })).transaction).not.toBe("");
  });
});
