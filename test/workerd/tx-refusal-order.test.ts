/**
 * Which code a refused transaction answers when its participants refuse for
 * different reasons: a read that is no longer current (ABORTED, retry)
 * comes before a write's own precondition (ALREADY_EXISTS and the like),
 * on any shard and any commit path, as one shard checks them. A new user's
 * ticket allocator (read the sequence, create ticket n, bump the sequence)
 * got ALREADY_EXISTS when another client took ticket n first, so
 * runTransaction did not retry it: 37 of 72 allocations failed.
 */
import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { connectClient, expectCode, initialRouter } from "./helpers.js";

const db = connectClient(CollectionService);
const tx = connectClient(TransactionService);

/** A sequence id and a ticket id on different shards (the parallel path), or on one shard (the one-phase path). */
function ids(prefix: string, sameShard: boolean): { seq: string; ticket: string } {
  const router = initialRouter();
  const seq = `${prefix}-seq`;
  for (let i = 0; ; i++) {
    const ticket = `${prefix}-t${i}`;
    if ((router.shardFor("ticket", ticket) === router.shardFor("seq", seq)) === sameShard) return { seq, ticket };
  }
}

const create = (collection: string, id: string) => ({ ref: { collection, id }, operation: { case: "create" as const, value: {} } });
const set = (collection: string, id: string, data: Record<string, number>) => ({ ref: { collection, id }, operation: { case: "set" as const, value: data } });

describe("a transaction refused for a stale read and for a precondition", () => {
  for (const sameShard of [false, true]) {
    it(`answers ABORTED, not the precondition's code (${sameShard ? "one shard" : "two shards"})`, async () => {
      const { seq, ticket } = ids(sameShard ? "one" : "two", sameShard);
      await db.setDocument({ ref: { collection: "seq", id: seq }, data: { next: 0 } });
      const mine = await tx.getDocuments({ newTransaction: {}, refs: [{ collection: "seq", id: seq }] });
      // Another client takes the ticket and bumps the sequence first.
      await tx.commitBatch({ writes: [create("ticket", ticket), set("seq", seq, { next: 1 })] });
      await expectCode(
        tx.commit({ transaction: mine.transaction, reads: [{ ref: { collection: "seq", id: seq }, version: mine.reads[0]!.version }], writes: [create("ticket", ticket), set("seq", seq, { next: 1 })] }),
        Code.Aborted,
      );
      // And the same commit sent again answers the same.
      await expectCode(
        tx.commit({ transaction: mine.transaction, reads: [{ ref: { collection: "seq", id: seq }, version: mine.reads[0]!.version }], writes: [create("ticket", ticket), set("seq", seq, { next: 1 })] }),
        Code.Aborted,
      );
    });
  }

  it("answers ABORTED, not NOT_FOUND, for an update of a missing document beside a stale read on another shard", async () => {
    const { seq, ticket } = ids("upd", false);
    await db.setDocument({ ref: { collection: "seq", id: seq }, data: { next: 0 } });
    const mine = await tx.getDocuments({ newTransaction: {}, refs: [{ collection: "seq", id: seq }] });
    await db.setDocument({ ref: { collection: "seq", id: seq }, data: { next: 5 } });
    const update = { ref: { collection: "ticket", id: ticket }, operation: { case: "update" as const, value: { data: { n: 1 } } } };
    await expectCode(tx.commit({ transaction: mine.transaction, reads: [{ ref: { collection: "seq", id: seq }, version: mine.reads[0]!.version }], writes: [update, set("seq", seq, { next: 1 })] }), Code.Aborted);
  });

  it("so a client retrying on ABORTED allocates every ticket exactly once under contention", { timeout: 60_000 }, async () => {
    const prefix = `alloc`;
    await db.setDocument({ ref: { collection: "seq", id: prefix }, data: { next: 0 } });
    const taken: number[] = [];
    const allocate = async () => {
      for (let attempt = 0; attempt < 30; attempt++) {
        const read = await tx.getDocuments({ newTransaction: {}, refs: [{ collection: "seq", id: prefix }] });
        const next = Number(read.reads[0]!.document!.data!["next"]);
        try {
          await tx.commit({
            transaction: read.transaction,
            reads: [{ ref: { collection: "seq", id: prefix }, version: read.reads[0]!.version }],
            writes: [create("ticket", `${prefix}-${next}`), set("seq", prefix, { next: next + 1 })],
          });
          taken.push(next);
          return;
        } catch (err) {
          if ((err as { code?: Code }).code !== Code.Aborted) throw err;
        }
      }
      throw new Error("no ticket after 30 attempts");
    };
    await Promise.all(Array.from({ length: 8 }, allocate));
    expect(taken.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});
