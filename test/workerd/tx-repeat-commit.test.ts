/**
 * A Commit sent again after its answer was lost must learn the first
 * commit's outcome and apply nothing a second time, whenever it arrives:
 * after the transaction's deadline (within TX_RECORD_RETENTION_MS), and
 * after a resharding moved its documents to another shard. Before, the
 * first answered ABORTED "transaction expired" for a transaction that had
 * committed (a client's runTransaction then ran it again: applied twice),
 * and the second was applied again by the shard that now owns the
 * documents, which had no record of the id.
 * src/sync/README.md, "A repeated Commit".
 */
import { describe, expect, it } from "vitest";
import { env, runInDurableObject } from "cloudflare:test";
import { AdminService, Resharding_Phase, Resharding_State } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { CommitRequestSchema } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { resolveOverdue } from "../../src/sync/participant-recovery.js";
import { changeLogRetention } from "../../src/env.js";
import { connectClient, expectCode, idsOnDistinctShards, initialRouter, plannedMove } from "./helpers.js";

const admin = connectClient(AdminService);
const db = connectClient(CollectionService);
const tx = connectClient(TransactionService);

/** A write that adds `by` to field n with the increment transform (applied twice, it shows). */
const increment = (collection: string, id: string, by: number) => ({
  ref: { collection, id },
  operation: { case: "update" as const, value: { data: {}, mask: { fieldPaths: [] } } },
  transforms: [{ fieldPath: "n", transformType: { case: "increment" as const, value: { kind: { case: "numberValue" as const, value: by } } } }],
});

/** Runs a shard's alarm work now (forgetting finished participations past their time, as its alarm does). */
async function runShardMaintenance(shard: string): Promise<void> {
  const stub = env.SHARD.get(env.SHARD.idFromName(shard));
  await runInDurableObject(stub, (_o, state) => resolveOverdue(state.storage, env, Date.now(), changeLogRetention(env)));
}

async function n(collection: string, id: string): Promise<number> {
  const got = await db.getDocument({ ref: { collection, id } });
  return (got.document?.data?.["n"] as number | undefined) ?? NaN;
}

describe("a Commit sent again after its answer was lost", () => {
  it("after the deadline, a committed one-shard transaction answers its commit again and applies nothing twice", { timeout: 30_000 }, async () => {
    const c = "late-1pc";
    await db.setDocument({ ref: { collection: c, id: "a" }, data: { n: 0 } });
    const begun = await tx.getDocuments({ newTransaction: { timeout: { seconds: 0n, nanos: 300_000_000 } }, refs: [{ collection: c, id: "a" }] });
    const commit: MessageInitShape<typeof CommitRequestSchema> = {
      transaction: begun.transaction,
      reads: [{ ref: { collection: c, id: "a" }, version: begun.reads[0]!.version }],
      writes: [increment(c, "a", 1)],
    };
    const first = await tx.commit(commit);
    await new Promise((resolve) => setTimeout(resolve, 400));
    // Past the deadline the shard's alarm forgets what it must; it must still hold this answer.
    await runShardMaintenance(initialRouter().shardFor(c, "a"));
    const again = await tx.commit(commit);
    expect(again.results.map((r) => r.version)).toEqual(first.results.map((r) => r.version));
    expect(again.commitTime).toEqual(first.commitTime);
    expect(await n(c, "a")).toBe(1);
  });

  it("after the deadline, a committed two-shard transaction answers its commit again and applies nothing twice", { timeout: 30_000 }, async () => {
    const c = "late-2pc";
    const [a, b] = idsOnDistinctShards(c, 2) as [string, string];
    await db.batchWriteDocuments({ writes: [a, b].map((id) => ({ ref: { collection: c, id }, operation: { case: "set" as const, value: { n: 0 } } })) });
    const begun = await tx.getDocuments({ newTransaction: { timeout: { seconds: 0n, nanos: 300_000_000 } }, refs: [{ collection: c, id: a }] });
    const commit: MessageInitShape<typeof CommitRequestSchema> = {
      transaction: begun.transaction,
      reads: [{ ref: { collection: c, id: a }, version: begun.reads[0]!.version }],
      writes: [increment(c, a, 1), increment(c, b, 1)],
    };
    const first = await tx.commit(commit);
    await new Promise((resolve) => setTimeout(resolve, 400));
    for (const id of [a, b]) await runShardMaintenance(initialRouter().shardFor(c, id));
    const again = await tx.commit(commit);
    expect(again.results.map((r) => r.version)).toEqual(first.results.map((r) => r.version));
    expect([await n(c, a), await n(c, b)]).toEqual([1, 1]);
  });

  it("after the deadline, a transaction that never committed is still ABORTED as expired, and applies nothing", async () => {
    const c = "late-never";
    await db.setDocument({ ref: { collection: c, id: "a" }, data: { n: 0 } });
    const begun = await tx.getDocuments({ newTransaction: { timeout: { seconds: 0n, nanos: 200_000_000 } }, refs: [{ collection: c, id: "a" }] });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expectCode(tx.commit({ transaction: begun.transaction, writes: [increment(c, "a", 1)] }), 10 /* ABORTED */, /expired/);
    expect(await n(c, "a")).toBe(0);
  });

  // docs/transactions.md said every call after the deadline answers ABORTED
  // but a repeat of the same Commit; a Commit with OTHER writes answered
  // FAILED_PRECONDITION, and that is the answer kept: a client retry loop
  // reruns a transaction on ABORTED, and this id has already committed
  // (running it again would apply the transaction twice). The id's fate is
  // answered as before the deadline: "commits once".
  it("after the deadline, another commit of an id that committed in time is FAILED_PRECONDITION (commits once), not ABORTED, and applies nothing", { timeout: 30_000 }, async () => {
    const c = "late-other";
    const [a, b] = idsOnDistinctShards(c, 2) as [string, string];
    await db.batchWriteDocuments({ writes: [a, b].map((id) => ({ ref: { collection: c, id }, operation: { case: "set" as const, value: { n: 0 } } })) });
    // Each begun right before its commit, with room for a loaded machine (a 300 ms timeout for all
    // three expired before the last commit in a CI run), then all past their deadlines.
    const timeout = { seconds: 2n, nanos: 0 };
    const begin = async () => (await tx.getDocuments({ newTransaction: { timeout }, refs: [{ collection: c, id: "unrelated" }] })).transaction;
    // One shard (one-phase claim), two shards (two-phase plan), and an empty commit.
    const oneShard = { transaction: await begin() };
    await tx.commit({ transaction: oneShard.transaction, writes: [increment(c, a, 1)] });
    const twoShards = { transaction: await begin() };
    await tx.commit({ transaction: twoShards.transaction, writes: [increment(c, a, 1), increment(c, b, 1)] });
    const empty = { transaction: await begin() };
    await tx.commit({ transaction: empty.transaction });
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    for (const transaction of [oneShard.transaction, twoShards.transaction]) {
      await expectCode(tx.commit({ transaction, writes: [increment(c, b, 10)] }), 9 /* FAILED_PRECONDITION */, /commits once: begin a new one \(its commit with other reads or writes came first\)/);
    }
    await expectCode(tx.commit({ transaction: empty.transaction, writes: [increment(c, b, 10)] }), 9 /* FAILED_PRECONDITION */, /already committed with no reads or writes/);
    expect([await n(c, a), await n(c, b)]).toEqual([2, 1]);
  });

  it("after a resharding moved its documents, a committed transaction answers its commit again and applies nothing twice: one shard moved, one shard split over two, two shards", { timeout: 120_000 }, async () => {
    const c = "moved";
    const { before, after } = await plannedMove(12);
    const candidates = Array.from({ length: 2000 }, (_, i) => `d${i}`);
    const moves = (d: string) => before.shardFor(c, d) !== after.shardFor(c, d);
    // One shard before, another after.
    const moved = candidates.find(moves)!;
    // Two documents of one shard before, two different shards after (one of them moved).
    const splitA = candidates.find((d) => d !== moved && moves(d))!;
    const splitB = candidates.find((d) => d !== moved && d !== splitA && before.shardFor(c, d) === before.shardFor(c, splitA) && after.shardFor(c, d) !== after.shardFor(c, splitA))!;
    // Two shards before; one of the documents moves.
    const twoA = candidates.find((d) => ![moved, splitA, splitB].includes(d) && moves(d))!;
    const twoB = candidates.find((d) => ![moved, splitA, splitB, twoA].includes(d) && before.shardFor(c, d) !== before.shardFor(c, twoA))!;
    const all = [moved, splitA, splitB, twoA, twoB];
    await db.batchWriteDocuments({ writes: all.map((id) => ({ ref: { collection: c, id }, operation: { case: "set" as const, value: { n: 0 } } })) });
    // Blind increments (no read of the documents): only the records of the id stop a second application.
    const commits: MessageInitShape<typeof CommitRequestSchema>[] = [];
    for (const ids of [[moved], [splitA, splitB], [twoA, twoB]]) {
      const begun = await tx.getDocuments({ newTransaction: {}, refs: [{ collection: c, id: "unrelated" }] });
      commits.push({ transaction: begun.transaction, writes: ids.map((id) => increment(c, id, 1)) });
    }
    const first = await Promise.all(commits.map((commit) => tx.commit(commit)));

    await admin.startResharding({ shardCount: 12 });
    const startMs = Date.now();
    for (;;) {
      const r = (await admin.getResharding({})).resharding!;
      if (r.phase === Resharding_Phase.DONE) {
        expect(r.state).toBe(Resharding_State.SUCCEEDED);
        break;
      }
      expect(Date.now() - startMs).toBeLessThan(100_000);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(Number((await admin.getRoutingTable({})).table!.shards.length)).toBe(12);

    for (const [i, commit] of commits.entries()) {
      const again = await tx.commit(commit);
      expect(again.results.map((r) => r.version), `commit ${i}`).toEqual(first[i]!.results.map((r) => r.version));
      expect(again.commitTime, `commit ${i}`).toEqual(first[i]!.commitTime);
    }
    expect(await Promise.all(all.map((id) => n(c, id)))).toEqual([1, 1, 1, 1, 1]);
    // No shard keeps a prepare of the repeats (it would commit them at its deadline: applied twice).
    const table = (await admin.getRoutingTable({})).table!;
    for (const shard of table.shards) {
      const held = await runInDurableObject(env.SHARD.get(env.SHARD.idFromName(shard.id)), (_o, state) => ({
        prepared: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tx_participations WHERE state = 'prepared'").one().n,
        intents: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tx_intents").one().n,
      }));
      expect(held, shard.id).toEqual({ prepared: 0, intents: 0 });
    }
    // And a different commit of an id is still refused.
    await expectCode(tx.commit({ transaction: commits[0]!.transaction!, writes: [increment(c, moved, 5)] }), 9 /* FAILED_PRECONDITION */, /commits once/);
    expect(await n(c, moved)).toBe(1);
  });
});
