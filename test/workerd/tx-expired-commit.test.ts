/**
 * A Commit after the transaction's deadline of a transaction that never
 * committed is refused as expired (ABORTED), whatever it holds. A commit
 * that reads or writes was refused so by its shards; one with nothing to
 * validate or write, a read-only transaction's, and a locking
 * transaction's with nothing to prepare touch no shard that checks, and
 * answered OK however late they came. A Commit that did commit in time and
 * is sent again after the deadline (its answer lost), within
 * TX_RECORD_RETENTION_MS, still answers its outcome.
 */
import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { env } from "cloudflare:test";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import type { Env } from "../../src/env.js";
import { scopeOf } from "../../src/databases/database-env.js";
import { pageTokenKey } from "../../src/services/list-documents.js";
import { createTransactionToken } from "../../src/sync/tx-token.js";
import { connectClient, expectCode } from "./helpers.js";

const db = connectClient(CollectionService);
const tx = connectClient(TransactionService);
const ref = (collection: string, id: string) => ({ collection, id });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** What every late commit answers, as the shards word it. */
const EXPIRED = /^transaction (aborted: transaction )?expired before it could commit; retry it$/;

type Kind = "plain" | "read-only" | "locking";

/** A transaction id the server would have issued, with its deadline at `deadlineMs`. */
async function transactionId(deadlineMs: number, kind: Kind): Promise<string> {
  const token = await createTransactionToken(pageTokenKey(env as unknown as Env), deadlineMs, kind === "read-only", {
    snapshotTs: 1,
    priorityMs: 1,
    locking: kind === "locking",
    scope: scopeOf(env as unknown as Env),
  });
  return token.id;
}

describe("a Commit after the deadline", () => {
  it("with nothing to validate or write, of a read-only transaction, or of a locking one with nothing to prepare, is ABORTED as expired (it answered OK)", async () => {
    const past = Date.now() - 1_000;
    for (const kind of ["plain", "read-only", "locking"] as const) {
      await expectCode(tx.commit({ transaction: await transactionId(past, kind) }), Code.Aborted, EXPIRED);
    }
  });

  it("that reads or writes is ABORTED as expired, as it was", async () => {
    await db.batchWriteDocuments({ writes: [{ ref: ref("tx_expired", "a"), operation: { case: "set", value: { n: 1 } } }] });
    const read = await tx.getDocuments({ newTransaction: {}, refs: [ref("tx_expired", "a")] });
    const past = Date.now() - 1_000;
    for (const kind of ["plain", "locking"] as const) {
      await expectCode(tx.commit({ transaction: await transactionId(past, kind), reads: [{ ref: ref("tx_expired", "a"), version: read.reads[0]!.version }] }), Code.Aborted, EXPIRED);
      await expectCode(tx.commit({ transaction: await transactionId(past, kind), writes: [{ ref: ref("tx_expired", "b"), operation: { case: "set", value: { n: 2 } } }] }), Code.Aborted, EXPIRED);
    }
  });

  it("sent again after the deadline, of a commit that committed in time, answers the same commit time", async () => {
    const deadlineMs = Date.now() + 1_500;
    const ids = await Promise.all((["plain", "read-only", "locking"] as const).map((kind) => transactionId(deadlineMs, kind)));
    const first = await Promise.all(ids.map((transaction) => tx.commit({ transaction })));
    await sleep(deadlineMs - Date.now() + 100);
    const again = await Promise.all(ids.map((transaction) => tx.commit({ transaction })));
    expect(again.map((r) => r.commitTime)).toEqual(first.map((r) => r.commitTime));
  });
});
