import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { env, runInDurableObject } from "cloudflare:test";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { clusterConfig } from "../../src/env.js";
import { createInitialRoutingTable, createShardRouter } from "../../src/routing/router.js";
import { connectClient, expectCode, idsOnDistinctShards } from "./helpers.js";

const db = connectClient(CollectionService);
const tx = connectClient(TransactionService);
const config = clusterConfig(env);
const router = createShardRouter(createInitialRoutingTable(config.shardCount, config.virtualNodesPerShard));

/** Two ids of `collection` on different shards. */
function idsOnTwoShards(collection: string): [string, string] {
  const first = "a0";
  for (let i = 1; ; i++) if (router.shardFor(collection, `a${i}`) !== router.shardFor(collection, first)) return [first, `a${i}`];
}
/** Three ids of `collection` on three different shards. */
const idsOnThreeShards = (collection: string) => idsOnDistinctShards(collection, 3) as [string, string, string];
function idsOnOneShard(collection: string, count: number): string[] {
  const shard = router.shardFor(collection, "b0");
  const ids = ["b0"];
  for (let i = 1; ids.length < count; i++) if (router.shardFor(collection, `b${i}`) === shard) ids.push(`b${i}`);
  return ids;
}
const set = (collection: string, id: string, data: Record<string, number | string>) => ({
  ref: { collection, id },
  operation: { case: "set" as const, value: data },
});

describe("transactions", () => {
  it("a single-shard transaction reads, then commits its writes with their versions", async () => {
    const [x, y] = idsOnOneShard("single", 2) as [string, string];
    await db.setDocument({ ref: { collection: "single", id: x }, data: { n: 1 } });
    const { transaction, expireTime } = await tx.beginTransaction({});
    expect(Number(expireTime!.seconds) * 1000).toBeGreaterThan(Date.now() + 50_000);
    const { reads } = await tx.getDocuments({ transaction, refs: [{ collection: "single", id: x }, { collection: "single", id: y }] });
    expect(reads.map((r) => [r.document?.data, r.version > 0n])).toEqual([[{ n: 1 }, true], [undefined, false]]);
    const res = await tx.commit({
      transaction,
      writes: [set("single", x, { n: 2 }), set("single", y, { n: 1 })],
      reads: reads.map((r) => ({ ref: r.ref, version: r.version })),
      returnDocuments: true,
    });
    expect(res.results.map((r) => r.document?.data)).toEqual([{ n: 2 }, { n: 1 }]);
    const after = await db.batchGetDocuments({ refs: [x, y].map((id) => ({ collection: "single", id })) });
    expect(after.results.map((r) => r.document?.version)).toEqual(res.results.map((r) => r.version));
  });

  it("a cross-shard transaction applies on every shard", async () => {
    const [a, b] = idsOnTwoShards("cross");
    await db.setDocument({ ref: { collection: "cross", id: a }, data: { balance: 100 } });
    await db.setDocument({ ref: { collection: "cross", id: b }, data: { balance: 0 } });
    const { transaction } = await tx.beginTransaction({});
    const { reads } = await tx.getDocuments({ transaction, refs: [a, b].map((id) => ({ collection: "cross", id })) });
    await tx.commit({
      transaction,
      writes: [set("cross", a, { balance: 60 }), set("cross", b, { balance: 40 })],
      reads: reads.map((r) => ({ ref: r.ref, version: r.version })),
    });
    const after = await db.batchGetDocuments({ refs: [a, b].map((id) => ({ collection: "cross", id })) });
    expect(after.results.map((r) => r.document?.data)).toEqual([{ balance: 60 }, { balance: 40 }]);
  });

  it("a transaction whose read changed underneath aborts and writes nothing", async () => {
    const [a, b] = idsOnTwoShards("stale");
    await db.setDocument({ ref: { collection: "stale", id: a }, data: { v: 1 } });
    const { transaction } = await tx.beginTransaction({});
    const { reads } = await tx.getDocuments({ transaction, refs: [{ collection: "stale", id: a }] });
    await db.setDocument({ ref: { collection: "stale", id: a }, data: { v: 2 } });
    await expectCode(
      tx.commit({ transaction, writes: [set("stale", b, { copy: 1 })], reads: reads.map((r) => ({ ref: r.ref, version: r.version })) }),
      Code.Aborted,
      /changed after it was read/,
    );
    await expectCode(db.getDocument({ ref: { collection: "stale", id: b } }), Code.NotFound);
  });

  it("reading that a document is missing is validated too", async () => {
    const [a, b] = idsOnTwoShards("phantom");
    const { transaction } = await tx.beginTransaction({});
    const { reads } = await tx.getDocuments({ transaction, refs: [{ collection: "phantom", id: a }] });
    expect(reads[0]!.version).toBe(0n);
    await db.createDocument({ ref: { collection: "phantom", id: a }, data: {} });
    await expectCode(
      tx.commit({ transaction, writes: [set("phantom", b, { x: 1 })], reads: [{ ref: reads[0]!.ref, version: 0n }] }),
      Code.Aborted,
    );
  });

  it("CommitBatch is all-or-nothing across shards, preconditions included", async () => {
    const [a, b] = idsOnTwoShards("batch");
    await expectCode(
      tx.commitBatch({
        writes: [set("batch", a, { n: 1 }), { ...set("batch", b, { n: 1 }), precondition: { condition: { case: "exists", value: true } } }],
      }),
      Code.FailedPrecondition,
      /does not exist/,
    );
    await expectCode(db.getDocument({ ref: { collection: "batch", id: a } }), Code.NotFound);
    const ok = await tx.commitBatch({ writes: [set("batch", a, { n: 1 }), set("batch", b, { n: 2 })], returnDocuments: true });
    expect(ok.results.map((r) => r.document?.data)).toEqual([{ n: 1 }, { n: 2 }]);
    const del = await tx.commitBatch({
      writes: [
        { ref: { collection: "batch", id: a }, operation: { case: "delete", value: {} } },
        { ref: { collection: "batch", id: b }, operation: { case: "update", value: { data: { m: 3 } } } },
      ],
    });
    expect(del.results.map((r) => r.version === 0n)).toEqual([true, false]);
    expect((await db.getDocument({ ref: { collection: "batch", id: b } })).document!.data).toEqual({ n: 2, m: 3 });
  });

  it("a late commit after the deadline is refused and writes nothing", async () => {
    const { transaction } = await tx.beginTransaction({ options: { timeout: { seconds: 0n, nanos: 200_000_000 } } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expectCode(tx.commit({ transaction, writes: [set("late", "x", { n: 1 })] }), Code.Aborted, /expired/);
    await expectCode(tx.getDocuments({ transaction, refs: [{ collection: "late", id: "x" }] }), Code.Aborted, /expired/);
    await expectCode(db.getDocument({ ref: { collection: "late", id: "x" } }), Code.NotFound);
  });

  it("an abandoned transaction holds no locks: what it read stays writable, and its id dies at the deadline", async () => {
    const [a, b] = idsOnTwoShards("abandoned");
    await db.setDocument({ ref: { collection: "abandoned", id: a }, data: { n: 1 } });
    const abandoned = await tx.beginTransaction({ options: { timeout: { seconds: 0n, nanos: 300_000_000 } } });
    await tx.getDocuments({ transaction: abandoned.transaction, refs: [{ collection: "abandoned", id: a }] });
    // Locks are taken only while a commit runs, so nothing waits for the
    // abandoned transaction: a plain write and another transaction go on at once.
    await db.setDocument({ ref: { collection: "abandoned", id: a }, data: { n: 2 } });
    await tx.commitBatch({ writes: [set("abandoned", a, { n: 3 }), set("abandoned", b, { n: 3 })] });
    await new Promise((resolve) => setTimeout(resolve, 350));
    await expectCode(tx.commit({ transaction: abandoned.transaction, writes: [set("abandoned", a, { n: 9 })] }), Code.Aborted, /expired/);
    expect((await db.getDocument({ ref: { collection: "abandoned", id: a } })).document!.data).toEqual({ n: 3 });
  });

  it("refuses forged ids, writes in read-only transactions, and overlong timeouts", async () => {
    const { transaction } = await tx.beginTransaction({ options: { readOnly: true } });
    await expectCode(tx.commit({ transaction: transaction.slice(0, -2) + "xx", writes: [] }), Code.InvalidArgument, /not a transaction id/);
    await expectCode(tx.commit({ transaction: "tx1.abc.def" }), Code.InvalidArgument);
    await expectCode(tx.commit({ transaction, writes: [set("ro", "x", { n: 1 })] }), Code.InvalidArgument, /read-only/);
    await expectCode(tx.beginTransaction({ options: { timeout: { seconds: 61n } } }), Code.InvalidArgument);
    await tx.rollback({ transaction });
  });

  it("a read-only transaction commits when its reads are still current", async () => {
    const [a, b] = idsOnTwoShards("ro2");
    await db.setDocument({ ref: { collection: "ro2", id: a }, data: { n: 1 } });
    const { transaction } = await tx.beginTransaction({ options: { readOnly: true } });
    const { reads } = await tx.getDocuments({ transaction, refs: [a, b].map((id) => ({ collection: "ro2", id })) });
    await tx.commit({ transaction, reads: reads.map((r) => ({ ref: r.ref, version: r.version })) });
  });

  it("a transaction id commits one set of writes: a second, different commit is refused and applies nothing", async () => {
    const [a, b] = idsOnTwoShards("once");
    const first = await tx.beginTransaction({});
    await tx.commit({ transaction: first.transaction, writes: [set("once", a, { n: 1 }), set("once", b, { n: 1 })] });
    // Same id, now one shard only (one-phase), then two shards again with other contents.
    await expectCode(tx.commit({ transaction: first.transaction, writes: [set("once", a, { n: 2 })] }), Code.FailedPrecondition, /commits once/);
    await expectCode(
      tx.commit({ transaction: first.transaction, writes: [set("once", a, { n: 3 }), set("once", b, { n: 3 })] }),
      Code.FailedPrecondition,
      /commits once/,
    );
    // The same first part on a's shard, plus more elsewhere, is a different transaction too.
    await expectCode(
      tx.commit({ transaction: first.transaction, writes: [set("once", a, { n: 1 }), set("once", b, { n: 1 }), set("once", "extra", { n: 1 })] }),
      Code.FailedPrecondition,
      /commits once/,
    );
    const second = await tx.beginTransaction({});
    await tx.commit({ transaction: second.transaction, writes: [set("once", a, { n: 4 })] });
    await expectCode(
      tx.commit({ transaction: second.transaction, writes: [set("once", a, { n: 5 }), set("once", b, { n: 5 })] }),
      Code.FailedPrecondition,
      /commits once/,
    );
    const after = await db.batchGetDocuments({ refs: [a, b].map((id) => ({ collection: "once", id })) });
    expect(after.results.map((r) => r.document?.data)).toEqual([{ n: 4 }, { n: 1 }]);
    // The refused two-shard commit prepared b's shard; its abort released it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const shardB = env.SHARD.get(env.SHARD.idFromName(router.shardFor("once", b)));
    const locks = await runInDurableObject(shardB, (_o, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tx_intents").one().n);
    expect(locks).toBe(0);
  });

  it("a one-phase commit's id commits once: another commit of it on another shard is refused, and a refused one stays aborted", async () => {
    // A new user's finding: after a one-shard commit, a second Commit of the
    // id writing another shard was applied too (its shard had no record of
    // the id), and a one-shard commit answered ABORTED could commit later.
    const [a, b] = idsOnTwoShards("once-1pc");
    const ref = (id: string) => ({ collection: "once-1pc", id });
    await db.setDocument({ ref: ref(a), data: { n: 0 } });
    const first = await tx.getDocuments({ newTransaction: {}, refs: [ref(a)] });
    const readA = [{ ref: ref(a), version: first.reads[0]!.version }];
    await tx.commit({ transaction: first.transaction, reads: readA, writes: [set("once-1pc", a, { n: 1 })] });
    await expectCode(tx.commit({ transaction: first.transaction, writes: [set("once-1pc", b, { n: 1 })] }), Code.FailedPrecondition, /commits once/);
    // The same commit again is answered as before (a client retrying a lost answer).
    const again = await tx.commit({ transaction: first.transaction, reads: readA, writes: [set("once-1pc", a, { n: 1 })] });
    expect(again.results[0]?.version).toBeGreaterThan(0n);

    // Read a, someone else writes it, the commit is refused: stays refused, with or without the stale read.
    const second = await tx.getDocuments({ newTransaction: {}, refs: [ref(a)] });
    await db.setDocument({ ref: ref(a), data: { n: 10 } });
    const stale = [{ ref: ref(a), version: second.reads[0]!.version }];
    await expectCode(tx.commit({ transaction: second.transaction, reads: stale, writes: [set("once-1pc", a, { n: 7 })] }), Code.Aborted, /changed/);
    await expectCode(tx.commit({ transaction: second.transaction, writes: [set("once-1pc", a, { n: 7 })] }), Code.Aborted, /transaction aborted: .*changed/);
    await expectCode(tx.commit({ transaction: second.transaction, reads: stale, writes: [set("once-1pc", a, { n: 7 })] }), Code.Aborted);
    await expectCode(tx.commit({ transaction: second.transaction, writes: [set("once-1pc", b, { n: 7 })] }), Code.Aborted);
    const after = await db.batchGetDocuments({ refs: [ref(a), ref(b)] });
    expect(after.results.map((r) => r.document?.data ?? null)).toEqual([{ n: 10 }, null]);
  });

  it("an id commits once whatever path each commit takes: one shard, several, none, or at the same moment", async () => {
    // A new user's findings on the first fix: a one-shard commit, then a
    // two-shard commit of the same id on other shards, both applied (also
    // sent together); an empty commit did not use the id up; a two-shard
    // commit after an aborted one said "already committed".
    const c = "once-paths";
    const [a, b, d] = idsOnThreeShards(c);
    const ref = (id: string) => ({ collection: c, id });
    const one = await tx.beginTransaction({});
    await tx.commit({ transaction: one.transaction, writes: [set(c, a, { n: 1 })] });
    await expectCode(tx.commit({ transaction: one.transaction, writes: [set(c, b, { n: 1 }), set(c, d, { n: 1 })] }), Code.FailedPrecondition, /commits once/);
    // A rollback after that commit changes nothing, and the id still says it committed.
    await tx.rollback({ transaction: one.transaction });
    await expectCode(tx.commit({ transaction: one.transaction, writes: [set(c, b, { n: 2 })] }), Code.FailedPrecondition, /commits once/);

    // Sent together, at most one of two different commits of an id is applied.
    for (let round = 0; round < 6; round++) {
      const { transaction } = await tx.beginTransaction({});
      const outcomes = await Promise.allSettled([
        tx.commit({ transaction, writes: [set(c, a, { r: round })] }),
        tx.commit({ transaction, writes: [set(c, b, { r: round }), set(c, d, { r: round })] }),
      ]);
      expect(outcomes.filter((o) => o.status === "fulfilled").length).toBeLessThanOrEqual(1);
    }

    // An empty commit is the id's one commit too, and answers the same time again.
    const empty = await tx.beginTransaction({});
    const first = await tx.commit({ transaction: empty.transaction });
    const again = await tx.commit({ transaction: empty.transaction });
    expect(again.commitTime).toEqual(first.commitTime);
    await expectCode(tx.commit({ transaction: empty.transaction, writes: [set(c, a, { n: 9 })] }), Code.FailedPrecondition, /commits once/);
    await expectCode(tx.commit({ transaction: empty.transaction, writes: [set(c, b, { n: 9 }), set(c, d, { n: 9 })] }), Code.FailedPrecondition, /commits once/);

    // A two-shard commit refused for a stale read: every later commit of the id is ABORTED, with the reason.
    await db.setDocument({ ref: ref(b), data: { n: 0 } });
    const stale = await tx.getDocuments({ newTransaction: {}, refs: [ref(b)] });
    await db.setDocument({ ref: ref(b), data: { n: 50 } });
    const staleRead = [{ ref: ref(b), version: stale.reads[0]!.version }];
    await expectCode(tx.commit({ transaction: stale.transaction, reads: staleRead, writes: [set(c, b, { n: 7 }), set(c, d, { n: 7 })] }), Code.Aborted);
    await expectCode(tx.commit({ transaction: stale.transaction, writes: [set(c, a, { n: 7 }), set(c, d, { n: 7 })] }), Code.Aborted, /transaction aborted/);
    // A read of the aborted id says why, once (it read "transaction aborted: aborted: transaction aborted: …; retry it; retry it …").
    const why = await expectCode(tx.getDocuments({ transaction: stale.transaction, refs: [ref(a)] }), Code.Aborted, /changed/);
    expect(why.rawMessage.match(/aborted/g)?.length, why.rawMessage).toBe(1);
    expect(why.rawMessage.match(/retry/g)?.length, why.rawMessage).toBe(1);
    const after = await db.batchGetDocuments({ refs: [ref(a), ref(b), ref(d)] });
    expect(after.results.map((r) => r.document?.data?.["n"] ?? null)).not.toContain(7);
    expect(after.results.map((r) => r.document?.data?.["n"] ?? null)).not.toContain(9);
  });

  it("committing the same transaction twice gives the same answer and applies once", async () => {
    const [a, b] = idsOnTwoShards("twice");
    const { transaction } = await tx.beginTransaction({});
    const writes = [set("twice", a, { n: 1 }), set("twice", b, { n: 1 })];
    const first = await tx.commit({ transaction, writes });
    const second = await tx.commit({ transaction, writes });
    expect(second.results.map((r) => r.version)).toEqual(first.results.map((r) => r.version));
    expect((await db.getDocument({ ref: { collection: "twice", id: a } })).document!.version).toBe(first.results[0]!.version);
  });

  describe("a rolled-back transaction", () => {
    const write8 = (collection: string) => {
      const ids = Array.from({ length: 8 }, (_, i) => `r${i}`);
      expect(new Set(ids.map((id) => router.shardFor(collection, id))).size).toBeGreaterThan(1);
      return ids.map((id) => set(collection, id, { n: 1 }));
    };

    it("refuses Commit after Rollback and applies nothing: one write on one shard", async () => {
      const { transaction } = await tx.beginTransaction({});
      await tx.rollback({ transaction });
      await expectCode(tx.commit({ transaction, writes: [set("rolled1", "x", { n: 1 })] }), Code.FailedPrecondition, /rolled back/);
      await expectCode(db.getDocument({ ref: { collection: "rolled1", id: "x" } }), Code.NotFound);
    });

    it("refuses Commit after Rollback and applies nothing: 8 documents across shards", async () => {
      const { transaction } = await tx.beginTransaction({});
      await tx.rollback({ transaction });
      await expectCode(tx.commit({ transaction, writes: write8("rolled8") }), Code.FailedPrecondition, /rolled back/);
      const after = await db.batchGetDocuments({ refs: write8("rolled8").map((w) => w.ref) });
      expect(after.results.filter((r) => r.found)).toEqual([]);
    });

    it("refuses reads, an empty commit, and a read-only commit after Rollback; Rollback again is fine", async () => {
      const rw = await tx.beginTransaction({});
      await tx.getDocuments({ transaction: rw.transaction, refs: [{ collection: "rolledr", id: "x" }] });
      await tx.rollback({ transaction: rw.transaction });
      await tx.rollback({ transaction: rw.transaction });
      await expectCode(tx.getDocuments({ transaction: rw.transaction, refs: [{ collection: "rolledr", id: "x" }] }), Code.FailedPrecondition, /rolled back/);
      await expectCode(tx.commit({ transaction: rw.transaction }), Code.FailedPrecondition, /rolled back/);
      const ro = await tx.beginTransaction({ options: { readOnly: true } });
      await tx.rollback({ transaction: ro.transaction });
      await expectCode(tx.commit({ transaction: ro.transaction }), Code.FailedPrecondition, /rolled back/);
    });

    it("Rollback after Commit undoes nothing, and the same Commit again answers the same", async () => {
      for (const writes of [[set("rolledc", "one", { n: 1 })], write8("rolledc")]) {
        const { transaction } = await tx.beginTransaction({});
        const first = await tx.commit({ transaction, writes });
        await tx.rollback({ transaction });
        const again = await tx.commit({ transaction, writes });
        expect(again.results.map((r) => r.version)).toEqual(first.results.map((r) => r.version));
        const after = await db.batchGetDocuments({ refs: writes.map((w) => w.ref) });
        expect(after.results.map((r) => r.document?.version)).toEqual(first.results.map((r) => r.version));
      }
    });
  });

  it("one commit has one time: every document of a cross-shard batch or transaction, created or updated, carries it", async () => {
    const ms = (t: { seconds: bigint; nanos: number } | undefined) => Number(t!.seconds) * 1000 + Math.floor(t!.nanos / 1e6);
    await db.setDocument({ ref: { collection: "onetime", id: "old" }, data: { n: 0 } });
    const oldCreate = ms((await db.getDocument({ ref: { collection: "onetime", id: "old" } })).document!.createTime);
    // Several rounds, because a fast machine may prepare and decide within one millisecond.
    for (let round = 0; round < 10; round++) {
      const writes = [set("onetime", "old", { n: round }), ...Array.from({ length: 8 }, (_, i) => set("onetime", `new-${round}-${i}`, { n: i }))];
      expect(new Set(writes.map((w) => router.shardFor("onetime", w.ref.id))).size).toBeGreaterThan(1);
      const res =
        round % 2 === 0
          ? await tx.commitBatch({ writes, returnDocuments: true })
          : await tx.commit({ transaction: (await tx.beginTransaction({})).transaction, writes, returnDocuments: true });
      const commitMs = ms(res.commitTime);
      const stored = await db.batchGetDocuments({ refs: writes.map((w) => w.ref) });
      for (const [i, doc] of [...res.results.map((r) => r.document!), ...stored.results.map((r) => r.document!)].entries()) {
        const isOld = i % writes.length === 0;
        expect(ms(doc.updateTime), `updateTime of ${doc.id}`).toBe(commitMs);
        expect(ms(doc.createTime), `createTime of ${doc.id}`).toBe(isOld ? oldCreate : commitMs);
      }
    }
  });
});
