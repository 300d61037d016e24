/**
 * A transaction that took read locks and then went quiet must not stall a
 * document (docs/transactions.md, "Read locks of a quiet transaction").
 *
 * The fault this guards against (found by a new-user test): one
 * GetDocuments with `new_transaction.retry_of` naming a just-committed
 * transaction takes read locks with that transaction's (older) priority;
 * under wound-wait an older retry is only ever waited for, so the
 * abandoned retry held the document for its whole deadline (60 s), and
 * every TypeScript SDK runTransaction on it ran out of its 5 attempts
 * ("documents stayed locked"), while plain writes passed.
 */
import { describe, expect, it } from "vitest";
import { Code, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { env, SELF } from "cloudflare:test";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { ImpossibleDBClient } from "../../clients/ts/src/browser.js";
import { clusterConfig } from "../../src/env.js";
import { TX_READ_LOCK_LEASE_MS } from "../../src/limits.js";
import { createInitialRoutingTable, createShardRouter } from "../../src/routing/router.js";
import { connectClient, expectCode } from "./helpers.js";

const db = connectClient(CollectionService);
const tx = connectClient(TransactionService);
const ref = (collection: string, id: string) => ({ collection, id });
const set = (collection: string, id: string, data: Record<string, number>) => ({ ref: ref(collection, id), operation: { case: "set" as const, value: data } });
const config = clusterConfig(env);
const router = createShardRouter(createInitialRoutingTable(config.shardCount, config.virtualNodesPerShard));
const versionsOf = (reads: { ref?: { collection: string; id: string }; version: bigint }[]) => reads.map((r) => ({ ref: r.ref, version: r.version }));

/** Two ids of `collection` on different shards. */
function idsOnTwoShards(collection: string): [string, string] {
  for (let i = 1; ; i++) if (router.shardFor(collection, `a${i}`) !== router.shardFor(collection, "a0")) return ["a0", `a${i}`];
}

/** The TypeScript SDK, speaking Connect to the Worker under test. */
function sdk(): ImpossibleDBClient {
  const transport: Transport = createConnectTransport({
    baseUrl: "http://impossibledb.test",
    useBinaryFormat: true,
    fetch: (input, init) => {
      const { redirect: _redirect, ...rest } = (init ?? {}) as RequestInit & { mode?: unknown; credentials?: unknown };
      delete rest.mode;
      delete rest.credentials;
      return SELF.fetch(new Request(input as RequestInfo, rest));
    },
  });
  return new ImpossibleDBClient({ transport });
}

/** Commits one transaction on `collection/id` and answers its id: a "just-committed" id to name in retry_of. */
async function committedTransaction(collection: string, id: string): Promise<string> {
  const read = await tx.getDocuments({ newTransaction: {}, refs: [ref(collection, id)] });
  const n = ((read.reads[0]!.document?.data as { n?: number } | undefined)?.n ?? 0) + 1;
  await tx.commit({ transaction: read.transaction, writes: [set(collection, id, { n })], reads: versionsOf(read.reads) });
  return read.transaction;
}

/** An SDK read-modify-write of `collection/id` with runTransaction's defaults (TRANSACTION_ATTEMPTS_MAX_DEFAULT attempts). */
function increment(client: ImpossibleDBClient, collection: string, id: string, options: { attemptsMax?: number } = {}): Promise<number> {
  return client.runTransaction(async (t) => {
    const doc = await t.get<{ n: number }>(collection, id);
    const n = (doc?.data.n ?? 0) + 1;
    t.write(collection, id, { n });
    return n;
  }, options);
}

async function valueOf(collection: string, id: string): Promise<number | undefined> {
  const res = await db.getDocument({ ref: ref(collection, id) });
  return (res.document?.data as { n?: number } | undefined)?.n;
}

describe("an abandoned retry's read locks", () => {
  const ways = [
    {
      name: "GetDocuments with new_transaction.retry_of",
      begin: async (retryOf: string, r: { collection: string; id: string }) => {
        const res = await tx.getDocuments({ newTransaction: { retryOf }, refs: [r] });
        return { transaction: res.transaction, reads: res.reads };
      },
    },
    {
      name: "BeginTransaction with retry_of, then GetDocuments",
      begin: async (retryOf: string, r: { collection: string; id: string }) => {
        const { transaction } = await tx.beginTransaction({ options: { retryOf } });
        const res = await tx.getDocuments({ transaction, refs: [r] });
        return { transaction, reads: res.reads };
      },
    },
  ];

  for (const [i, way] of ways.entries()) {
    it(`(${way.name}) do not make runTransaction run out of attempts; the abandoned retry can then never commit`, { timeout: 30_000 }, async () => {
      const collection = `abandoned-${i}`;
      const retryOf = await committedTransaction(collection, "x");
      expect(await valueOf(collection, "x")).toBe(1);
      // One call, then silence: the retry keeps its read lock on x, with
      // the just-committed transaction's priority (older than anyone's).
      const abandoned = await way.begin(retryOf, ref(collection, "x"));

      // Every SDK transaction on x commits, within runTransaction's default attempts.
      const client = sdk();
      expect(await increment(client, collection, "x")).toBe(2);
      expect(await increment(client, collection, "x")).toBe(3);
      expect(await valueOf(collection, "x")).toBe(3);

      // Strict serializability: the abandoned retry read n = 1, which has
      // since been overwritten; its commit must fail with ABORTED and apply
      // nothing (it never commits on stale reads).
      await expectCode(
        tx.commit({ transaction: abandoned.transaction, writes: [set(collection, "x", { n: 100 })], reads: versionsOf(abandoned.reads) }),
        Code.Aborted,
        /quiet for more than TX_READ_LOCK_LEASE_MS/,
      );
      await expectCode(
        tx.commit({ transaction: abandoned.transaction, writes: [set(collection, "x", { n: 100 })] }),
        Code.Aborted,
      );
      // A read of it says why too, not only "transaction aborted".
      await expectCode(tx.getDocuments({ transaction: abandoned.transaction, refs: [ref(collection, "x")] }), Code.Aborted, /transaction aborted: it was quiet for more than TX_READ_LOCK_LEASE_MS/);
      expect(await valueOf(collection, "x")).toBe(3);
    });
  }

  it("an ordinary transaction that read and never committed blocks nobody: runTransaction commits at its first attempt", async () => {
    await db.setDocument({ ref: ref("abandoned-first", "x"), data: { n: 1 } });
    await tx.getDocuments({ newTransaction: {}, refs: [ref("abandoned-first", "x")] });
    expect(await increment(sdk(), "abandoned-first", "x", { attemptsMax: 1 })).toBe(2);
    expect(await valueOf("abandoned-first", "x")).toBe(2);
  });
});

describe("CommitBatch beside a live retry", () => {
  it("waits for the retry holding its documents and then commits, instead of answering ABORTED", async () => {
    const [a, b] = idsOnTwoShards("batch-waits");
    const retryOf = await committedTransaction("batch-waits", a);
    // A live retry: it read a (an update lock) and commits 300 ms later.
    const retry = await tx.getDocuments({ newTransaction: { retryOf }, refs: [ref("batch-waits", a)] });
    const retryCommits = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await tx.commit({ transaction: retry.transaction, writes: [set("batch-waits", a, { n: 50 })], reads: versionsOf(retry.reads) });
    })();
    // One shard and two: both wait for it (the retry wins: it is older), then apply.
    const one = tx.commitBatch({ writes: [set("batch-waits", a, { n: 60 })] });
    const two = tx.commitBatch({ writes: [set("batch-waits", a, { n: 70 }), set("batch-waits", b, { n: 70 })] });
    await retryCommits;
    await Promise.all([one, two]);
    expect([50, 60, 70]).toContain(await valueOf("batch-waits", a));
    expect(await valueOf("batch-waits", b)).toBe(70);
    const versions = (await db.getDocument({ ref: ref("batch-waits", a) })).document!.version;
    // Three writes landed on a after the first commit: the retry's and both batches'.
    expect(versions).toBe(4n);
  });
});

describe("transactions that never wait (first attempts, CommitBatch)", () => {
  it("clear a quiet retry's read lock once its lease has run out, instead of aborting until its deadline", async () => {
    const retryOf = await committedTransaction("never-wait", "x");
    const abandoned = await tx.getDocuments({ newTransaction: { retryOf }, refs: [ref("never-wait", "x")] });
    // While the retry may still be alive, a transaction that never waits
    // gives way to it (tx-begin.test.ts, "retry_of through new_transaction
    // reads with locks"); not asserted here, where it would depend on this
    // call coming within the lease.
    await new Promise((resolve) => setTimeout(resolve, TX_READ_LOCK_LEASE_MS + 200));
    // Quiet past its lease: CommitBatch (one shard) and a first attempt's commit go through.
    await tx.commitBatch({ writes: [set("never-wait", "x", { n: 60 })] });
    const first = await tx.getDocuments({ newTransaction: {}, refs: [ref("never-wait", "x")] });
    await tx.commit({ transaction: first.transaction, writes: [set("never-wait", "x", { n: 61 })], reads: versionsOf(first.reads) });
    expect(await valueOf("never-wait", "x")).toBe(61);
    await expectCode(tx.commit({ transaction: abandoned.transaction, writes: [set("never-wait", "x", { n: 100 })] }), Code.Aborted, /quiet/);
  });

  it("the same across shards: a two-shard CommitBatch clears a quiet retry's lock on one of them", async () => {
    const [a, b] = idsOnTwoShards("never-wait-2");
    const retryOf = await committedTransaction("never-wait-2", a);
    await tx.getDocuments({ newTransaction: { retryOf }, refs: [ref("never-wait-2", a)] });
    await new Promise((resolve) => setTimeout(resolve, TX_READ_LOCK_LEASE_MS + 200));
    await tx.commitBatch({ writes: [set("never-wait-2", a, { n: 7 }), set("never-wait-2", b, { n: 7 })] });
    expect([await valueOf("never-wait-2", a), await valueOf("never-wait-2", b)]).toEqual([7, 7]);
  });
});

// A new user's report: 10 to 16 concurrent runTransaction increments of one
// document, with the SDK's defaults, had 0 to 2 of them give up with
// ABORTED after 5 attempts (none lost: the others' sum was right). Raising
// the default to 10 did not cure it: CI's slower machine had one of 24 give
// up after 10. The cause was on the server: retries shared read locks, so
// each commit wounded every other retry that had read the document, and
// waits for an older retry gave up after 8 short rounds; the youngest of N
// ran about N times (5 to 8 runs each for 24, measured). Now a retry's read
// lock is an update lock, a retry waits for older ones up to
// TX_LOCK_WAIT_MS_MAX, and a released lock goes to the oldest waiter
// (src/sync/lock-waiters.ts): about 2 runs each.
describe("runTransaction's default attempts", () => {
  const CONTENDERS = 24;
  it(`carry ${CONTENDERS} concurrent increments of one document to their commits, in about two runs each`, { timeout: 90_000 }, async () => {
    const collection = "hot-default";
    let runs = 0;
    const clients = Array.from({ length: CONTENDERS }, () => sdk());
    const outcomes = await Promise.allSettled(
      clients.map((c) =>
        c.runTransaction(async (t) => {
          runs++;
          const doc = await t.get<{ n: number }>(collection, "x");
          const n = (doc?.data.n ?? 0) + 1;
          t.write(collection, "x", { n });
          return n;
        }),
      ),
    );
    const failed = outcomes.filter((o) => o.status === "rejected").map((o) => String((o as PromiseRejectedResult).reason));
    expect(failed).toEqual([]);
    expect(await valueOf(collection, "x")).toBe(CONTENDERS);
    const values = outcomes.map((o) => (o as PromiseFulfilledResult<number>).value).sort((a, b) => a - b);
    expect(values).toEqual(Array.from({ length: CONTENDERS }, (_, i) => i + 1));
    // One run commits first; every other needs its optimistic first run and
    // then, as a retry, queues for the document. Shared read locks took
    // about 5.5 runs each (132 in all); update locks and the queue about 2.1.
    expect(runs).toBeLessThanOrEqual(3 * CONTENDERS);
  });
});

// A new user's report: transfers between two or three accounts by
// runTransaction beside clients making plain updates of another field of
// the same accounts ran up to 10 times, and some gave up with "aborted to
// release locks another request was waiting for": a plain write aborted
// any transaction holding a lock in its way after a few short waits, so a
// retry's priority counted for nothing against plain writers (measured
// with the user's script, 3 accounts, 8 transfer clients, 4 plain writers,
// 20 s: 36 transfers, 7 gave up, 6.3 runs each; now 151, none, 2.9). Now a
// plain read or write waits for a retry (src/storage/document-store.ts
// pointBlocked), as a plain UPDATE waits for a row lock.
describe("plain writes beside transactions on the same documents", () => {
  it("never abort a retry: transfers commit and money is conserved", { timeout: 120_000 }, async () => {
    const collection = "hot-accounts";
    const [a0, a1] = idsOnTwoShards(collection);
    const accounts = [a0, a1, "b0"];
    for (const id of accounts) await db.setDocument({ ref: ref(collection, id), data: { balance: 100, touched: 0 } });
    const CLIENTS = 8;
    const TRANSFERS = 4;
    let transfersDone = false;
    const writer = async (w: number) => {
      let n = 0;
      while (!transfersDone) {
        const id = accounts[(w + n) % accounts.length]!;
        await db.updateDocument({ ref: ref(collection, id), patch: { data: { touched: w * 1000 + n++ }, updateMask: { fieldPaths: ["touched"] } } });
      }
      return n;
    };
    const writers = Array.from({ length: 4 }, (_, w) => writer(w));
    /** Why each retry (an attempt after the first) of a transfer aborted. */
    const retryAborts: string[] = [];
    /** runTransaction's loop, keeping each attempt's abort. */
    const transfer = async (client: ImpossibleDBClient, from: string, to: string) => {
      let previous: string | undefined;
      for (let attempt = 1; attempt <= 20; attempt++) {
        const tx = client.createTransaction(previous === undefined ? {} : { retryOf: previous });
        try {
          const [a, b] = await Promise.all([tx.get<{ balance: number }>(collection, from), tx.get<{ balance: number }>(collection, to)]);
          tx.update(collection, from, { balance: a!.data.balance - 1 }, { mask: ["balance"] });
          tx.update(collection, to, { balance: b!.data.balance + 1 }, { mask: ["balance"] });
          await tx.commit();
          return;
        } catch (err) {
          await tx.rollback().catch(() => undefined);
          if (previous !== undefined) retryAborts.push(String(err));
          previous = tx.transactionId ?? previous;
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 50));
        }
      }
      throw new Error(`transfer ${from} -> ${to} did not commit in 20 attempts`);
    };
    const transfers = await Promise.allSettled(
      Array.from({ length: CLIENTS }, async (_, c) => {
        const client = sdk();
        for (let t = 0; t < TRANSFERS; t++) await transfer(client, accounts[(c + t) % 3]!, accounts[(c + t + 1 + (c % 2)) % 3]!);
      }),
    ).finally(() => {
      transfersDone = true;
    });
    const plainWrites = (await Promise.all(writers)).reduce((x, y) => x + y, 0);
    const failed = transfers.filter((o) => o.status === "rejected").map((o) => String((o as PromiseRejectedResult).reason));
    expect(failed).toEqual([]);
    expect(plainWrites).toBeGreaterThan(0);
    // Retries lose only to older retries (wound-wait) or to changes made
    // before they read; never to a plain request that waited for them.
    expect(retryAborts.filter((m) => m.includes("another request was waiting for"))).toEqual([]);
    const balances = await Promise.all(accounts.map(async (id) => ((await db.getDocument({ ref: ref(collection, id) })).document!.data as { balance: number }).balance));
    expect(balances.reduce((x, y) => x + y, 0)).toBe(300);
  });
});
