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

  it("after a resharding moved its document to another shard, a committed one-shard transaction answers its commit again and applies nothing twice", { timeout: 120_000 }, async () => {
    const c = "moved-1pc";
    const { before, after } = await plannedMove(12);
    const id = Array.from({ length: 400 }, (_, i) => `d${i}`).find((d) => before.shardFor(c, d) !== after.shardFor(c, d))!;
    await db.setDocument({ ref: { collection: c, id }, data: { n: 0 } });
    // A blind increment (no read of the document): only the shard's record of the id stops a second application.
    const begun = await tx.getDocuments({ newTransaction: {}, refs: [{ collection: c, id: "unrelated" }] });
    const commit: MessageInitShape<typeof CommitRequestSchema> = { transaction: begun.transaction, writes: [increment(c, id, 1)] };
    const first = await tx.commit(commit);

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

    const again = await tx.commit(commit);
    expect(again.results.map((r) => r.version)).toEqual(first.results.map((r) => r.version));
    expect(await n(c, id)).toBe(1);
    // And a different commit of the id is still refused.
    await expectCode(tx.commit({ transaction: begun.transaction, writes: [increment(c, id, 5)] }), 9 /* FAILED_PRECONDITION */, /commits once/);
    expect(await n(c, id)).toBe(1);
  });
});
