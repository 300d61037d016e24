/**
 * Several commits of ONE transaction id, and what each answers: sent at the
 * same moment (one wins, the others say so, and say it again when
 * repeated), after an empty or refused commit, and around a rollback.
 * src/sync/README.md, "Rollback and an id's life" and "Commit, step by step".
 */
import { describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
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

/** Three ids of `collection` on three different shards. */
const idsOnThreeShards = (collection: string) => idsOnDistinctShards(collection, 3) as [string, string, string];
const set = (collection: string, id: string, data: Record<string, number | string>) => ({
  ref: { collection, id },
  operation: { case: "set" as const, value: data },
});

/** A call's answer as "OK" or its code and words, to compare a first answer with its repeat. */
async function answerOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "OK";
  } catch (err) {
    if (!(err instanceof ConnectError)) throw err;
    return `${Code[err.code]}: ${err.rawMessage}`;
  }
}

describe("commits of one transaction id", () => {
  it("sent at the same moment over overlapping shards: exactly one wins, the others say another commit came first, and a repeat answers the same", async () => {
    // A new user's finding: a one-shard Commit and a two-shard Commit of the
    // same id, sent together, were both refused in 18 of 40 rounds (the
    // two-shard commit's prepare reached the shared shard before the
    // one-shard commit, which had claimed the id), each saying the other
    // came first, and a repeat of either then answered ABORTED.
    const c = "same-id";
    const [x, y, z] = idsOnThreeShards(c);
    const ref = (id: string) => ({ collection: c, id });
    for (const id of [x, y, z]) await db.setDocument({ ref: ref(id), data: { n: 0 } });
    const rounds = 24;
    for (let round = 0; round < rounds; round++) {
      const read = await tx.getDocuments({ newTransaction: {}, refs: [ref(x)] });
      const reads = [{ ref: ref(x), version: read.reads[0]!.version }];
      const commits = [
        { transaction: read.transaction, reads, writes: [set(c, x, { n: round + 1, by: "one-shard" })] },
        { transaction: read.transaction, reads, writes: [set(c, x, { n: round + 1, by: "two-shard" }), set(c, y, { n: round + 1 })] },
        // Every third round a third commit joins, over x's shard and z's.
        ...(round % 3 === 2 ? [{ transaction: read.transaction, reads, writes: [set(c, x, { n: round + 1, by: "other two-shard" }), set(c, z, { n: round + 1 })] }] : []),
      ];
      const first = await Promise.all(commits.map((req) => answerOf(tx.commit(req))));
      const context = `round ${round}: ${JSON.stringify(first)}`;
      expect(first.filter((a) => a === "OK").length, context).toBe(1);
      for (const refused of first.filter((a) => a !== "OK")) expect(refused, context).toMatch(/^FailedPrecondition: .*commits once/);
      // Each commit sent again answers as it did the first time.
      const again = await Promise.all(commits.map((req) => answerOf(tx.commit(req))));
      expect(again, context).toEqual(first);
      const winner = commits[first.indexOf("OK")]!;
      const stored = await db.batchGetDocuments({ refs: [ref(x), ref(y), ref(z)] });
      const written = new Map(winner.writes.map((w) => [w.ref.id, w.operation.value]));
      for (const r of stored.results) {
        const id = r.ref?.id ?? "";
        if (written.has(id)) expect(r.document?.data, context).toEqual(written.get(id));
        else expect(r.document?.data?.["n"], context).not.toBe(round + 1);
      }
    }
    // The losers' prepares were dropped: no document stays locked.
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const id of [x, y, z]) {
      const shard = env.SHARD.get(env.SHARD.idFromName(router.shardFor(c, id)));
      const locks = await runInDurableObject(shard, (_o, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tx_intents").one().n);
      expect(locks, `locks left on ${id}'s shard`).toBe(0);
    }
  }, 60_000);

  it("a commit that meets, on its shards, a prepare of a losing commit of the same id still commits, and the loser's writes never appear", async () => {
    // Sent at the same moment, a losing commit's prepare may reach a shard
    // first (its prepares go out beside its stage, which the coordinator
    // refuses). Planted here, so the race is not left to timing.
    const c = "same-id-stray";
    const [x, y, z] = idsOnThreeShards(c);
    const ref = (id: string) => ({ collection: c, id });
    for (const id of [x, y, z]) await db.setDocument({ ref: ref(id), data: { n: 0 } });
    const read = await tx.getDocuments({ newTransaction: {}, refs: [ref(x)] });
    const expiresMs = Number(read.expireTime!.seconds) * 1000;
    const shard = (id: string) => env.SHARD.get(env.SHARD.idFromName(router.shardFor(c, id)));
    for (const id of [x, z]) {
      const stray = await shard(id).txPrepare({
        txId: read.transaction,
        expiresMs,
        reads: [],
        writes: [{ collection: c, id, op: "set", data: { n: 666 } }],
        txFingerprint: "a-losing-commit",
      });
      expect(stray.vote).toBe("yes");
    }
    const reads = [{ ref: ref(x), version: read.reads[0]!.version }];
    await tx.commit({ transaction: read.transaction, reads, writes: [set(c, x, { n: 1 }), set(c, y, { n: 1 })] });
    // z's shard still holds the loser's write intent: a read resolves it, and it is dropped, not applied.
    expect((await db.getDocument({ ref: ref(z) })).document?.data).toEqual({ n: 0 });
    const stored = await db.batchGetDocuments({ refs: [ref(x), ref(y), ref(z)] });
    expect(stored.results.map((r) => r.document?.data?.["n"])).toEqual([1, 1, 0]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const id of [x, y, z]) {
      const locks = await runInDurableObject(shard(id), (_o, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tx_intents").one().n);
      expect(locks, `locks left on ${id}'s shard`).toBe(0);
    }
  });

  it("after an empty commit, a commit with writes is told the id already committed with no writes", async () => {
    // A new user's finding: it said "its commit with other reads or writes came first", while the first had none.
    const c = "same-id-empty";
    const [x, y] = idsOnThreeShards(c);
    const { transaction } = await tx.beginTransaction({});
    await tx.commit({ transaction });
    const oneShard = await expectCode(tx.commit({ transaction, writes: [set(c, x, { n: 1 })] }), Code.FailedPrecondition, /already committed with no reads or writes/);
    expect(oneShard.rawMessage).not.toMatch(/other reads or writes came first/);
    await expectCode(tx.commit({ transaction, writes: [set(c, x, { n: 1 }), set(c, y, { n: 1 })] }), Code.FailedPrecondition, /already committed with no reads or writes/);
    const stored = await db.batchGetDocuments({ refs: [x, y].map((id) => ({ collection: c, id })) });
    expect(stored.results.map((r) => r.found)).toEqual([false, false]);
  });

  it("after a commit refused for a precondition, a corrected commit is told the id is aborted, not the old precondition", async () => {
    // A new user's finding: the corrected commit answered the first commit's "does not exist", as if about itself.
    const c = "same-id-precondition";
    const [x, y] = idsOnThreeShards(c);
    const mustExist = { precondition: { condition: { case: "exists" as const, value: true } } };
    for (const [label, first, corrected] of [
      ["one shard", [{ ...set(c, x, { n: 1 }), ...mustExist }], [set(c, x, { n: 1 })]],
      ["two shards", [{ ...set(c, x, { n: 2 }), ...mustExist }, set(c, y, { n: 2 })], [set(c, x, { n: 2 }), set(c, y, { n: 2 })]],
    ] as const) {
      const { transaction } = await tx.beginTransaction({});
      const refused = await expectCode(tx.commit({ transaction, writes: [...first] }), Code.FailedPrecondition, /does not exist/);
      // The same commit again answers the same.
      const again = await expectCode(tx.commit({ transaction, writes: [...first] }), refused.code);
      expect(again.rawMessage, label).toBe(refused.rawMessage);
      const later = await expectCode(tx.commit({ transaction, writes: [...corrected] }), Code.Aborted, /commits once/);
      expect(later.rawMessage, label).toMatch(/^transaction aborted: its commit with other reads or writes was refused \(.*does not exist.*\); a transaction commits once: retry it as a new transaction$/);
    }
    const stored = await db.batchGetDocuments({ refs: [x, y].map((id) => ({ collection: c, id })) });
    expect(stored.results.map((r) => r.found)).toEqual([false, false]);
  });

  it("a read-only transaction committed, rolled back, and committed again still answers as committed", async () => {
    // A new user's finding: the second Commit answered "rolled back", while a rollback after a commit changes nothing.
    const c = "same-id-ro";
    const [x] = idsOnThreeShards(c);
    const { transaction } = await tx.beginTransaction({ options: { readOnly: true } });
    const { reads } = await tx.getDocuments({ transaction, refs: [{ collection: c, id: x }] });
    const versions = reads.map((r) => ({ ref: r.ref, version: r.version }));
    const first = await tx.commit({ transaction, reads: versions });
    await tx.rollback({ transaction });
    const again = await tx.commit({ transaction, reads: versions });
    expect(again.commitTime).toEqual(first.commitTime);
    // Rolled back before any commit, a read-only id still refuses its commit.
    const other = await tx.beginTransaction({ options: { readOnly: true } });
    await tx.rollback({ transaction: other.transaction });
    await expectCode(tx.commit({ transaction: other.transaction }), Code.FailedPrecondition, /rolled back/);
  });
});
