/**
 * The bank: 100 accounts over 8 shards and thousands of concurrent random
 * transfers, most of them cross-shard. Money is neither made nor lost: every
 * committed read-only snapshot and the final state sum to the same total,
 * no lock is left behind, and the recorded history is serializable.
 */
import { describe, expect, inject, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { env, runInDurableObject } from "cloudflare:test";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { clusterConfig } from "../../src/env.js";
import { createInitialRoutingTable, createShardRouter } from "../../src/routing/router.js";
import { checkSerializable, type RecordedTransaction } from "../support/history-checker.js";
import { connectClient } from "./helpers.js";

const tx = connectClient(TransactionService, { binary: true });
const ACCOUNTS = 100;
const INITIAL_BALANCE = 1000;
const TRANSFERS = inject("bankTransfers");
const CONCURRENCY = 16;
const SNAPSHOT_EVERY = 500;
const SNAPSHOT_RETRIES_MAX = 200;
const SEED = inject("bankSeed");

/** A small seeded generator, so a failing run can be replayed with BANK_SEED. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const account = (i: number) => ({ collection: "accounts", id: `acct-${i}` });
const key = (ref: { collection: string; id: string }) => `${ref.collection}/${ref.id}`;

describe("bank transfers", () => {
  it(`conserves money over ${TRANSFERS} concurrent transfers (seed ${SEED})`, { timeout: 600_000 }, async () => {
    const startedMs = performance.now();
    const rand = random(SEED);
    const history: RecordedTransaction[] = [];
    const initial = new Map<string, number>();
    const seeded = await tx.commitBatch({
      writes: Array.from({ length: ACCOUNTS }, (_, i) => ({ ref: account(i), operation: { case: "set" as const, value: { balance: INITIAL_BALANCE } } })),
    });
    seeded.results.forEach((r) => initial.set(key(r.ref!), Number(r.version)));
    const total = ACCOUNTS * INITIAL_BALANCE;
    const snapshots: number[] = [];
    let aborted = 0;

    async function attempt(label: string, refs: Array<{ collection: string; id: string }>, decide: (balances: number[]) => number[] | null): Promise<boolean> {
      const { transaction } = await tx.beginTransaction({ options: { readOnly: false } });
      const record: { reads: Array<{ key: string; version: number }>; writes: Array<{ key: string; version: number }> } = { reads: [], writes: [] };
      try {
        const { reads } = await tx.getDocuments({ transaction, refs });
        record.reads = reads.map((r) => ({ key: key(r.ref!), version: Number(r.version) }));
        const balances = reads.map((r) => Number((r.document?.data as { balance: number }).balance));
        const next = decide(balances);
        const res = await tx.commit({
          transaction,
          reads: reads.map((r) => ({ ref: r.ref, version: r.version })),
          writes: next === null ? [] : refs.map((ref, i) => ({ ref, operation: { case: "set" as const, value: { balance: next[i]! } } })),
        });
        record.writes = res.results.map((r) => ({ key: key(r.ref!), version: Number(r.version) }));
        history.push({ id: label, ...record, committed: true });
        return true;
      } catch (err) {
        if (!(err instanceof ConnectError) || err.code !== Code.Aborted) throw err;
        history.push({ id: label, ...record, writes: [], committed: false });
        aborted++;
        return false;
      }
    }

    let next = 0;
    async function worker(): Promise<void> {
      for (;;) {
        const n = next++;
        if (n >= TRANSFERS) return;
        if (n % SNAPSHOT_EVERY === 0) {
          // A snapshot reads every account in one read-only transaction. It
          // aborts when a transfer overtakes one of its reads, so it tries
          // again until one commits.
          const refs = Array.from({ length: ACCOUNTS }, (_, i) => account(i));
          for (let retry = 0; retry < SNAPSHOT_RETRIES_MAX; retry++) {
            let sum = 0;
            const done = await attempt(`snapshot-${n}.${retry}`, refs, (balances) => {
              sum = balances.reduce((a, b) => a + b, 0);
              return null;
            });
            if (done) {
              snapshots.push(sum);
              break;
            }
            await new Promise((resolve) => setTimeout(resolve, 2 + rand() * 10 * Math.min(retry + 1, 10)));
          }
        }
        const from = Math.floor(rand() * ACCOUNTS);
        let to = Math.floor(rand() * (ACCOUNTS - 1));
        if (to >= from) to++;
        const amount = 1 + Math.floor(rand() * 50);
        for (let retry = 0; retry < 20; retry++) {
          const done = await attempt(`transfer-${n}.${retry}`, [account(from), account(to)], ([a, b]) =>
            a! >= amount ? [a! - amount, b! + amount] : null,
          );
          if (done) break;
          await new Promise((resolve) => setTimeout(resolve, rand() * 5 * (retry + 1)));
        }
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    // Every committed snapshot saw the same total. (A snapshot whose reads
    // were overtaken aborted, and its sum is not counted.)
    const committedSnapshots = snapshots.length;
    expect(committedSnapshots).toBeGreaterThan(0);
    expect(snapshots).toEqual(Array(snapshots.length).fill(total));

    const { transaction } = await tx.beginTransaction({ options: { readOnly: true } });
    const { reads } = await tx.getDocuments({ transaction, refs: Array.from({ length: ACCOUNTS }, (_, i) => account(i)) });
    expect(reads.reduce((sum, r) => sum + Number((r.document?.data as { balance: number }).balance), 0)).toBe(total);
    expect(reads.every((r) => Number((r.document?.data as { balance: number }).balance) >= 0)).toBe(true);

    const config = clusterConfig(env);
    const router = createShardRouter(createInitialRoutingTable(config.shardCount, config.virtualNodesPerShard));
    const crossShard = history.filter((t) => t.id.startsWith("transfer") && t.committed && new Set(t.writes.map((w) => router.shardFor("accounts", w.key.split("/")[1]!))).size > 1);
    expect(crossShard.length).toBeGreaterThan(TRANSFERS / 2);
    for (const shard of router.allShards()) {
      const left = await runInDurableObject(env.SHARD.get(env.SHARD.idFromName(shard)), (_o, state) => ({
        intents: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tx_intents").one().n,
        prepared: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tx_participations WHERE state = 'prepared'").one().n,
      }));
      expect(left, `locks left on ${shard}`).toEqual({ intents: 0, prepared: 0 });
    }

    const verdict = checkSerializable(history, initial);
    const snapshotAttempts = history.filter((t) => t.id.startsWith("snapshot")).length;
    console.log(
      `bank (seed ${SEED}): ${history.filter((t) => t.committed).length} committed, ${aborted} aborted, ` +
        `${crossShard.length} cross-shard transfers, ${committedSnapshots} snapshots in ${snapshotAttempts} attempts, ` +
        `${Math.round(performance.now() - startedMs)} ms; checker: ${JSON.stringify(verdict)}`,
    );
    expect(verdict.ok, JSON.stringify(verdict)).toBe(true);
  });
});
