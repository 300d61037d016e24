/**
 * Transaction latency (Transactions issue): a plain put beside atomic
 * two-document writes whose documents fall on one shard or on two, and the
 * interactive form (begin, read both, commit both with the read set) on one
 * shard or two. Run closed-loop with ONE request in flight, so the figures
 * are the latency of a transaction on an idle system, not queueing.
 *
 * - tx-put: SetDocument of one 1 KB YCSB record (uniform keys).
 * - tx-1shard / tx-2shard: TransactionService.CommitBatch writing two 1 KB
 *   records, chosen with the router to live on one shard (one-phase commit)
 *   or on two (two-phase commit through the coordinator).
 * - tx-rw-1shard / tx-rw-2shard: a bank transfer between two accounts on one
 *   shard or two: GetDocuments that begins the transaction (new_transaction)
 *   + Commit with the read set (bench/tx.ts compares it with the older form
 *   that called BeginTransaction first).
 *
 * The other systems run the same pairs as one transaction of their own (the
 * floor: one DO transactionSync; PostgreSQL: BEGIN ... COMMIT; SQLite: BEGIN
 * IMMEDIATE ... COMMIT); they are single-node, so their "two-shard" case is
 * the same single-node transaction.
 */
import { createDocument } from "../lib/document.js";
import { recordId } from "../lib/keys.js";
import { createPairChooser, type PairChooser } from "../lib/shard-pairs.js";
import { COLLECTION } from "../config.js";
import { accountChooser, transferOperation } from "./bank.js";
import type { OperationContext, ReadyWorkload } from "./types.js";

const choosers = new Map<number, PairChooser>();
function recordPairs(recordCount: number): PairChooser {
  let chooser = choosers.get(recordCount);
  if (chooser === undefined) {
    chooser = createPairChooser(COLLECTION, Array.from({ length: recordCount }, (_, i) => recordId(i)));
    choosers.set(recordCount, chooser);
  }
  return chooser;
}

function commitPair(id: string, title: string, shards: 1 | 2): ReadyWorkload {
  return {
    status: "ready",
    id,
    title,
    kind: "point",
    next(ctx: OperationContext) {
      const pairs = recordPairs(ctx.recordCount);
      const [a, b] = shards === 1 ? pairs.sameShard(ctx.random) : pairs.twoShards(ctx.random);
      const da = createDocument(ctx.random);
      const db = createDocument(ctx.random);
      return () => ctx.driver.tx.commitPair([a, da], [b, db]);
    },
  };
}

function interactive(id: string, title: string, shards: 1 | 2): ReadyWorkload {
  return {
    status: "ready",
    id,
    title,
    kind: "point",
    next(ctx) {
      return transferOperation(ctx, shards === 2 ? 1 : 0, accountChooser());
    },
  };
}

export const txPut: ReadyWorkload = {
  status: "ready",
  id: "tx-put",
  title: "Plain put (1 document), for comparison",
  kind: "point",
  next(ctx) {
    const id = recordId(Math.floor(ctx.random() * ctx.recordCount));
    const doc = createDocument(ctx.random);
    return () => ctx.driver.put(id, doc);
  },
};
export const txOneShard = commitPair("tx-1shard", "Atomic 2-document write, one shard (CommitBatch)", 1);
export const txTwoShards = commitPair("tx-2shard", "Atomic 2-document write, two shards (CommitBatch)", 2);
export const txReadWriteOneShard = interactive("tx-rw-1shard", "Interactive transfer, one shard (GetDocuments begins + Commit)", 1);
export const txReadWriteTwoShards = interactive("tx-rw-2shard", "Interactive transfer, two shards (GetDocuments begins + Commit)", 2);
