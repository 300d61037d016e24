/**
 * Transactions begun without BeginTransaction: GetDocuments and Commit
 * carry `new_transaction` instead of `transaction`, begin the transaction
 * themselves (same options, same rules), and GetDocuments answers the id.
 */
import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { env, runInDurableObject } from "cloudflare:test";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { clusterConfig } from "../../src/env.js";
import { CLOCK_UNCERTAINTY_MS, TX_RETRY_OF_WINDOW_MS } from "../../src/limits.js";
import type { Env } from "../../src/env.js";
import { scopeOf } from "../../src/databases/database-env.js";
import { pageTokenKey } from "../../src/services/list-documents.js";
import { createTransactionToken } from "../../src/sync/tx-token.js";
import { createInitialRoutingTable, createShardRouter } from "../../src/routing/router.js";
import { connectClient, expectCode } from "./helpers.js";

const db = connectClient(CollectionService);
const tx = connectClient(TransactionService);
const config = clusterConfig(env);
const router = createShardRouter(createInitialRoutingTable(config.shardCount, config.virtualNodesPerShard));
const shard = (collection: string, id: string) => env.SHARD.get(env.SHARD.idFromName(router.shardFor(collection, id)));
const set = (collection: string, id: string, data: Record<string, number>) => ({ ref: { collection, id }, operation: { case: "set" as const, value: data } });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ref = (collection: string, id: string) => ({ collection, id });
const versionsOf = (reads: { ref?: { collection: string; id: string }; version: bigint }[]) => reads.map((r) => ({ ref: r.ref, version: r.version }));

/** Two ids of `collection` on different shards. */
function idsOnTwoShards(collection: string): [string, string] {
  for (let i = 1; ; i++) if (router.shardFor(collection, `a${i}`) !== router.shardFor(collection, "a0")) return ["a0", `a${i}`];
}

async function balances(collection: string, ids: string[]): Promise<Array<number | null>> {
  const res = await db.batchGetDocuments({ refs: ids.map((id) => ref(collection, id)) });
  return res.results.map((r) => (r.document === undefined ? null : (r.document.data as { n: number }).n));
}

describe("beginning with the first read", () => {
  it("answers the new id and deadline with the reads; a two-shard transfer then commits with that id", async () => {
    const [a, b] = idsOnTwoShards("first-read");
    await tx.commitBatch({ writes: [set("first-read", a, { n: 100 }), set("first-read", b, { n: 0 })] });
    const res = await tx.getDocuments({ newTransaction: { timeout: { seconds: 10n, nanos: 0 } }, refs: [ref("first-read", a), ref("first-read", b)] });
    expect(res.transaction).toMatch(/^tx2\./);
    const expireMs = Number(res.expireTime!.seconds) * 1000;
    expect(expireMs).toBeGreaterThan(Date.now() + 8_000);
    expect(expireMs).toBeLessThanOrEqual(Date.now() + 10_000);
    expect(res.reads.map((r) => (r.document?.data as { n: number }).n)).toEqual([100, 0]);
    await tx.commit({ transaction: res.transaction, writes: [set("first-read", a, { n: 60 }), set("first-read", b, { n: 40 })], reads: versionsOf(res.reads) });
    expect(await balances("first-read", [a, b])).toEqual([60, 40]);
  });

  it("reads validated at commit: a write between the read and the commit aborts it", async () => {
    await db.setDocument({ ref: ref("first-race", "x"), data: { n: 1 } });
    const res = await tx.getDocuments({ newTransaction: {}, refs: [ref("first-race", "x")] });
    await db.setDocument({ ref: ref("first-race", "x"), data: { n: 5 } });
    await expectCode(tx.commit({ transaction: res.transaction, writes: [set("first-race", "x", { n: 2 })], reads: versionsOf(res.reads) }), Code.Aborted);
    expect(await balances("first-race", ["x"])).toEqual([5]);
  });

  it("leaves transaction and expire_time unset when the call named an existing transaction", async () => {
    const { transaction } = await tx.beginTransaction({});
    const res = await tx.getDocuments({ transaction, refs: [ref("named", "x")] });
    expect(res.transaction).toBe("");
    expect(res.expireTime).toBeUndefined();
  });

  it("a transaction begun by a read can be rolled back like any other", async () => {
    const res = await tx.getDocuments({ newTransaction: {}, refs: [ref("first-rollback", "x")] });
    await tx.rollback({ transaction: res.transaction });
    await expectCode(tx.commit({ transaction: res.transaction, writes: [set("first-rollback", "x", { n: 1 })] }), Code.FailedPrecondition, /rolled back/);
    expect(await balances("first-rollback", ["x"])).toEqual([null]);
  });

  it("read-only: the read is at the snapshot of that call, later writes stay invisible, and the commit writes nothing", async () => {
    const [a, b] = idsOnTwoShards("first-ro");
    await tx.commitBatch({ writes: [set("first-ro", a, { n: 1 }), set("first-ro", b, { n: 1 })] });
    const first = await tx.getDocuments({ newTransaction: { readOnly: true }, refs: [ref("first-ro", a)] });
    await sleep(CLOCK_UNCERTAINTY_MS + 5);
    await tx.commitBatch({ writes: [set("first-ro", a, { n: 2 }), set("first-ro", b, { n: 2 })] });
    const later = await tx.getDocuments({ transaction: first.transaction, refs: [ref("first-ro", b)] });
    expect([first.reads[0]!.document?.data, later.reads[0]!.document?.data]).toEqual([{ n: 1 }, { n: 1 }]);
    await expectCode(tx.commit({ transaction: first.transaction, writes: [set("first-ro", a, { n: 3 })] }), Code.InvalidArgument, /read-only/);
    await tx.commit({ transaction: first.transaction, reads: versionsOf([...first.reads, ...later.reads]) });
    expect(await balances("first-ro", [a, b])).toEqual([2, 2]);
  });

  it("retry_of through new_transaction reads with locks, which hold off a younger writer", async () => {
    const locks = () => runInDurableObject(shard("first-retry", "x"), (_o, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tx_intents").one().n);
    await db.setDocument({ ref: ref("first-retry", "x"), data: { n: 1 } });
    const first = await tx.getDocuments({ newTransaction: {}, refs: [ref("first-retry", "x")] });
    expect(await locks()).toBe(0);
    const retry = await tx.getDocuments({ newTransaction: { retryOf: first.transaction }, refs: [ref("first-retry", "x")] });
    expect(retry.transaction).not.toBe(first.transaction);
    expect(await locks()).toBe(1);
    // A younger first attempt that would overwrite what the retry read aborts.
    const rival = await tx.getDocuments({ newTransaction: {}, refs: [ref("first-retry", "x")] });
    await expectCode(tx.commit({ transaction: rival.transaction, writes: [set("first-retry", "x", { n: 7 })], reads: versionsOf(rival.reads) }), Code.Aborted);
    await tx.commit({ transaction: retry.transaction, writes: [set("first-retry", "x", { n: 2 })], reads: versionsOf(retry.reads) });
    expect(await balances("first-retry", ["x"])).toEqual([2]);
    await sleep(50);
    expect(await locks()).toBe(0);
  });

  it("expires at the deadline asked for", async () => {
    const res = await tx.getDocuments({ newTransaction: { timeout: { seconds: 0n, nanos: 200_000_000 } }, refs: [ref("first-late", "x")] });
    await sleep(300);
    await expectCode(tx.commit({ transaction: res.transaction, writes: [set("first-late", "x", { n: 1 })] }), Code.Aborted, /expired/);
    await expectCode(tx.getDocuments({ transaction: res.transaction, refs: [ref("first-late", "x")] }), Code.Aborted, /expired/);
    expect(await balances("first-late", ["x"])).toEqual([null]);
  });
});

describe("beginning with the commit", () => {
  it("a transaction that never reads commits in one call, atomically across shards", async () => {
    const [a, b] = idsOnTwoShards("commit-only");
    const res = await tx.commit({ newTransaction: {}, writes: [set("commit-only", a, { n: 1 }), set("commit-only", b, { n: 2 })], returnDocuments: true });
    expect(res.results.map((r) => r.document?.data)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(await balances("commit-only", [a, b])).toEqual([1, 2]);
  });

  it("validates the reads it carries: a stale version aborts and applies nothing", async () => {
    const [a, b] = idsOnTwoShards("commit-reads");
    const written = await db.setDocument({ ref: ref("commit-reads", a), data: { n: 1 } });
    await db.setDocument({ ref: ref("commit-reads", a), data: { n: 2 } });
    await expectCode(
      tx.commit({ newTransaction: {}, writes: [set("commit-reads", b, { n: 9 })], reads: [{ ref: ref("commit-reads", a), version: written.document!.version }] }),
      Code.Aborted,
    );
    expect(await balances("commit-reads", [a, b])).toEqual([2, null]);
  });

  it("read-only: commits with no writes, refuses writes", async () => {
    await tx.commit({ newTransaction: { readOnly: true } });
    await expectCode(tx.commit({ newTransaction: { readOnly: true }, writes: [set("commit-ro", "x", { n: 1 })] }), Code.InvalidArgument, /read-only/);
    expect(await balances("commit-ro", ["x"])).toEqual([null]);
  });

  it("retry_of through new_transaction commits with the first attempt's priority", async () => {
    const first = await tx.getDocuments({ newTransaction: {}, refs: [ref("commit-retry", "x")] });
    const res = await tx.commit({ newTransaction: { retryOf: first.transaction }, writes: [set("commit-retry", "x", { n: 1 })] });
    expect(res.results).toHaveLength(1);
    expect(await balances("commit-retry", ["x"])).toEqual([1]);
  });
});

describe("refused requests", () => {
  it("both or neither of transaction and new_transaction: INVALID_ARGUMENT naming both, nothing written", async () => {
    const { transaction } = await tx.beginTransaction({});
    await expectCode(tx.getDocuments({ transaction, newTransaction: {}, refs: [ref("refused", "x")] }), Code.InvalidArgument, /either transaction .* or new_transaction .* not both/);
    await expectCode(tx.getDocuments({ refs: [ref("refused", "x")] }), Code.InvalidArgument, /transaction is required.*new_transaction/);
    await expectCode(tx.commit({ transaction, newTransaction: {}, writes: [set("refused", "x", { n: 1 })] }), Code.InvalidArgument, /not both/);
    await expectCode(tx.commit({ writes: [set("refused", "x", { n: 1 })] }), Code.InvalidArgument, /transaction is required/);
    expect(await balances("refused", ["x"])).toEqual([null]);
  });

  it("bad options name new_transaction: an overlong or too short timeout, a forged retry_of", async () => {
    await expectCode(tx.getDocuments({ newTransaction: { timeout: { seconds: 61n, nanos: 0 } }, refs: [ref("refused", "x")] }), Code.InvalidArgument, /timeout/);
    // Under TX_TIMEOUT_MIN_MS the id would expire before any commit: refused, not handed out (0.5 ms was accepted).
    const tooShort = /^new_transaction\.timeout must be from 100 ms \(TX_TIMEOUT_MIN_MS: a shorter transaction expires before it can commit\) to 60 s, got 0.5 ms; leave it unset for 60 s$/;
    await expectCode(tx.getDocuments({ newTransaction: { timeout: { seconds: 0n, nanos: 500_000 } }, refs: [ref("refused", "x")] }), Code.InvalidArgument, tooShort);
    await expectCode(tx.beginTransaction({ options: { timeout: { seconds: 0n, nanos: 99_000_000 } } }), Code.InvalidArgument, /^options\.timeout must be from 100 ms .*got 99 ms/);
    expect((await tx.beginTransaction({ options: { timeout: { seconds: 0n, nanos: 100_000_000 } } })).transaction).not.toBe("");
    await expectCode(tx.getDocuments({ newTransaction: { retryOf: "tx2.forged.mac" }, refs: [ref("refused", "x")] }), Code.InvalidArgument, /new_transaction\.retry_of/);
    await expectCode(tx.commit({ newTransaction: { retryOf: "tx2.forged.mac" }, writes: [set("refused", "x", { n: 1 })] }), Code.InvalidArgument, /new_transaction\.retry_of/);
    expect(await balances("refused", ["x"])).toEqual([null]);
  });
});

describe("retry_of's window", () => {
  it("refuses a retry_of whose transaction ended more than TX_RETRY_OF_WINDOW_MS ago (anyone who kept an old id could claim the oldest priority), and accepts a recent one", async () => {
    const key = pageTokenKey(env as unknown as Env);
    const old = await createTransactionToken(key, Date.now() - TX_RETRY_OF_WINDOW_MS - 5_000, false, {
      snapshotTs: 1,
      priorityMs: 1,
      locking: false,
      scope: scopeOf(env as unknown as Env),
    });
    await expectCode(tx.getDocuments({ newTransaction: { retryOf: old.id }, refs: [ref("window", "x")] }), Code.InvalidArgument, /TX_RETRY_OF_WINDOW_MS/);
    await expectCode(tx.beginTransaction({ options: { retryOf: old.id } }), Code.InvalidArgument, /TX_RETRY_OF_WINDOW_MS/);
    const recent = await createTransactionToken(key, Date.now() - 1_000, false, { snapshotTs: 1, priorityMs: 1, locking: false, scope: scopeOf(env as unknown as Env) });
    expect((await tx.getDocuments({ newTransaction: { retryOf: recent.id }, refs: [ref("window", "x")] })).transaction).not.toBe("");
  });

  it("compares the exact timeout with TX_TIMEOUT_MIN_MS, then rounds it up to whole milliseconds: 99 ms and 1 ns is refused (it rounded to 100 ms and passed), 100 ms and 1 ns is 101 ms", async () => {
    await expectCode(tx.getDocuments({ newTransaction: { timeout: { seconds: 0n, nanos: 99_000_001 } }, refs: [ref("window", "y")] }), Code.InvalidArgument, /must be from 100 ms/);
    const res = await tx.getDocuments({ newTransaction: { timeout: { seconds: 0n, nanos: 100_000_001 } }, refs: [ref("window", "y")] });
    expect(res.transaction).not.toBe("");
  });
});
