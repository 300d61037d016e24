/**
 * Bank transfers (Transactions and Benchmark issues): accounts hold integer
 * balances; each transfer moves a random amount between two accounts in a
 * transaction that reads both balances and writes both back, retrying on
 * ABORTED (ImpossibleDB: GetDocuments that begins the transaction + Commit with the
 * read set; PostgreSQL: SELECT ... FOR UPDATE + UPDATE; SQLite and the floor:
 * one local transaction). A given fraction of transfers, 0%, 10% or 100%, is
 * between accounts on two different shards (pairs chosen with the router).
 * Aborted attempts are counted. After the runs the total balance must be
 * unchanged on every system, or the run fails.
 */
import { BANK_COLLECTION } from "../systems/extensions.js";
import { createPairChooser, type PairChooser } from "../lib/shard-pairs.js";
import type { Operation } from "../lib/loops.js";
import type { OperationContext, ReadyWorkload } from "./types.js";

/** Accounts in the bank, and each one's opening balance. */
export const ACCOUNT_COUNT = 2_000;
export const OPENING_BALANCE = 1_000;
/** A transfer moves 1..TRANSFER_AMOUNT_MAX. */
const TRANSFER_AMOUNT_MAX = 100;

export const accountIds: readonly string[] = Array.from({ length: ACCOUNT_COUNT }, (_, i) => `acct${String(i).padStart(6, "0")}`);

let chooser: PairChooser | undefined;
export function accountChooser(): PairChooser {
  return (chooser ??= createPairChooser(BANK_COLLECTION, accountIds));
}

/** One transfer; `crossShardFraction` of them between accounts on two shards. */
export function transferOperation(ctx: OperationContext, crossShardFraction: number, pairs: PairChooser): Operation {
  const [from, to] = ctx.random() < crossShardFraction ? pairs.twoShards(ctx.random) : pairs.sameShard(ctx.random);
  const amount = 1 + Math.floor(ctx.random() * TRANSFER_AMOUNT_MAX);
  return async () => {
    const aborts = await ctx.driver.tx.transfer(from, to, amount);
    if (aborts > 0) ctx.counters["aborts"] = (ctx.counters["aborts"] ?? 0) + aborts;
  };
}

function bank(percent: number): ReadyWorkload {
  return {
    status: "ready",
    id: `bank-${percent}`,
    title: `Bank transfers, ${percent}% cross-shard`,
    kind: "point",
    next: (ctx) => transferOperation(ctx, percent / 100, accountChooser()),
  };
}

export const bank0 = bank(0);
export const bank10 = bank(10);
export const bank100 = bank(100);
