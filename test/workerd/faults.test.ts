/**
 * Crashes injected at each step of two-phase commit (and at the state that
 * snapshot reads and retries add), with recovery driven by
 * alarms (and by readers that need the locks). Whatever the crash, the
 * transaction ends committed on every shard or on none, and no lock is left.
 */
import { describe, expect, it } from "vitest";
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { FieldFilter_Operator } from "../../gen/impossibledb/v1/query_pb.js";
import { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { clusterConfig } from "../../src/env.js";
import { DEVELOPMENT_PAGE_TOKEN_KEY } from "../../src/pagination/page-token.js";
import { CLOCK_UNCERTAINTY_MS } from "../../src/limits.js";
import { createInitialRoutingTable, createShardRouter } from "../../src/routing/router.js";
import type { CommitPlan, Failpoint } from "../../src/sync/commit-plan.js";
import { coordinatorName, coordinatorStub } from "../../src/sync/coordinator-client.js";
import { coordinatorIndexOf, createTransactionToken } from "../../src/sync/tx-token.js";
import { DECISION_GRACE_MS, DELIVERY_RETRY_MS, STAGING_RECOVERY_MS } from "../../src/sync/twoPhaseCommit.js";
import { commitInParallel } from "../../src/sync/parallel-commit.js";
import { connectClient, expectCode } from "./helpers.js";
import { Code } from "@connectrpc/connect";

const db = connectClient(CollectionService);
const tx = connectClient(TransactionService);
const query = connectClient(QueryService);
const config = clusterConfig(env);
const router = createShardRouter(createInitialRoutingTable(config.shardCount, config.virtualNodesPerShard));
const DEADLINE_MS = 300;

let counter = 0;
/** Two fresh accounts on different shards, holding 100 and 0. */
async function accounts(): Promise<{ a: string; b: string; shardA: string; shardB: string; va: number; vb: number }> {
  const collection = "faults";
  const a = `a${counter++}`;
  let b = "";
  for (let i = 0; b === ""; i++) if (router.shardFor(collection, `b${counter}-${i}`) !== router.shardFor(collection, a)) b = `b${counter}-${i}`;
  const va = Number((await db.setDocument({ ref: { collection, id: a }, data: { balance: 100 } })).document!.version);
  const vb = Number((await db.setDocument({ ref: { collection, id: b }, data: { balance: 0 } })).document!.version);
  return { a, b, shardA: router.shardFor(collection, a), shardB: router.shardFor(collection, b), va, vb };
}

async function transferPlan(acc: Awaited<ReturnType<typeof accounts>>): Promise<CommitPlan> {
  const token = await createTransactionToken(DEVELOPMENT_PAGE_TOKEN_KEY, Date.now() + DEADLINE_MS, false);
  const part = (shard: string, id: string, version: number, balance: number) => ({
    shard,
    request: {
      txId: token.id,
      expiresMs: token.deadlineMs,
      reads: [{ collection: "faults", id, version }],
      writes: [{ op: "set" as const, collection: "faults", id, data: { balance } }],
      txFingerprint: `transfer-${token.id}`,
    },
  });
  return { txId: token.id, deadlineMs: token.deadlineMs, participants: [part(acc.shardA, acc.a, acc.va, 50), part(acc.shardB, acc.b, acc.vb, 50)] };
}

const shard = (id: string) => env.SHARD.get(env.SHARD.idFromName(id));
const coordinatorOf = (txId: string) => env.TX_COORDINATOR.get(env.TX_COORDINATOR.idFromName(coordinatorName(coordinatorIndexOf(txId))));

async function locksOn(shardId: string, txId: string): Promise<{ intents: number; state: string | null }> {
  return runInDurableObject(shard(shardId), (_o, state) => ({
    intents: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tx_intents WHERE tx_id = ?", txId).one().n,
    state: state.storage.sql.exec<{ state: string }>("SELECT state FROM tx_participations WHERE tx_id = ?", txId).toArray()[0]?.state ?? null,
  }));
}

async function balances(acc: { a: string; b: string }): Promise<[number, number]> {
  const res = await db.batchGetDocuments({ refs: [acc.a, acc.b].map((id) => ({ collection: "faults", id })) });
  return res.results.map((r) => (r.document!.data as { balance: number }).balance) as [number, number];
}

async function crash(plan: CommitPlan, failpoint: Failpoint): Promise<void> {
  await expect(coordinatorStub(env, plan.txId).commit(plan, failpoint)).rejects.toThrow();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function expectAllOrNothing(acc: Awaited<ReturnType<typeof accounts>>, txId: string, committed: boolean): Promise<void> {
  expect(await balances(acc)).toEqual(committed ? [50, 50] : [100, 0]);
  for (const s of [acc.shardA, acc.shardB]) {
    const locks = await locksOn(s, txId);
    expect(locks.intents, `locks left on ${s}`).toBe(0);
    expect(locks.state).not.toBe("prepared");
  }
}

describe("crash recovery", () => {
  it("coordinator crash after one participant prepared: participants' alarms abort it after the deadline", async () => {
    const acc = await accounts();
    const plan = await transferPlan(acc);
    await crash(plan, "after_first_prepare");
    const prepared = [await locksOn(acc.shardA, plan.txId), await locksOn(acc.shardB, plan.txId)].filter((l) => l.state === "prepared");
    expect(prepared.length).toBeGreaterThanOrEqual(1);
    await sleep(DEADLINE_MS + 50);
    await runDurableObjectAlarm(shard(acc.shardA));
    await runDurableObjectAlarm(shard(acc.shardB));
    await expectAllOrNothing(acc, plan.txId, false);
  });

  it("coordinator crash after one participant prepared: a reader needing the lock aborts it without waiting for the deadline", async () => {
    const acc = await accounts();
    const plan = await transferPlan(acc);
    await crash(plan, "after_first_prepare");
    expect(await balances(acc)).toEqual([100, 0]);
    await expectAllOrNothing(acc, plan.txId, false);
  });

  it("coordinator crash after the commit decision: its alarm delivers the commit everywhere", async () => {
    const acc = await accounts();
    const plan = await transferPlan(acc);
    await crash(plan, "after_decision");
    await sleep(DELIVERY_RETRY_MS + 50);
    await runDurableObjectAlarm(coordinatorOf(plan.txId));
    for (const s of [acc.shardA, acc.shardB]) expect((await locksOn(s, plan.txId)).intents).toBe(0);
    await expectAllOrNothing(acc, plan.txId, true);
  });

  it("coordinator crash after the decision: a reader sees the whole transaction, never half", async () => {
    const acc = await accounts();
    const plan = await transferPlan(acc);
    await crash(plan, "after_decision");
    expect(await balances(acc)).toEqual([50, 50]);
    await expectAllOrNothing(acc, plan.txId, true);
  });

  it("coordinator crash after the decision: a query sees the whole transaction, never half", async () => {
    const acc = await accounts();
    const plan = await transferPlan(acc);
    await crash(plan, "after_decision");
    const res = await query.runQuery({
      query: { collection: "faults", where: { filterType: { case: "fieldFilter", value: { field: "balance", op: FieldFilter_Operator.EQUAL, value: { kind: { case: "numberValue", value: 50 } } } } } },
    });
    expect(res.documents.map((d) => d.id).filter((id) => id === acc.a || id === acc.b).sort()).toEqual([acc.a, acc.b].sort());
    await expectAllOrNothing(acc, plan.txId, true);
  });

  it("coordinator crash during commit delivery: the rest is delivered by alarm", async () => {
    const acc = await accounts();
    const plan = await transferPlan(acc);
    // The client may get its answer before the crash: delivery runs after it.
    await coordinatorStub(env, plan.txId).commit(plan, "after_first_commit").catch(() => undefined);
    await sleep(DELIVERY_RETRY_MS + 50);
    await runDurableObjectAlarm(coordinatorOf(plan.txId));
    await sleep(50);
    await expectAllOrNothing(acc, plan.txId, true);
  });

  it("participant reset after it prepared: its locks survive the reset and are resolved by its alarm", async () => {
    const acc = await accounts();
    const plan = await transferPlan(acc);
    await crash(plan, "after_first_prepare");
    await runInDurableObject(shard(acc.shardA), (_o, state) => state.abort("injected participant crash")).catch(() => undefined);
    await sleep(DEADLINE_MS + 50);
    await runDurableObjectAlarm(shard(acc.shardA));
    await runDurableObjectAlarm(shard(acc.shardB));
    await expectAllOrNothing(acc, plan.txId, false);
  });

  it("a commit repeated after a coordinator crash answers the recorded decision", async () => {
    const acc = await accounts();
    const plan = await transferPlan(acc);
    await crash(plan, "after_decision");
    const again = await coordinatorStub(env, plan.txId).commit(plan);
    expect(again.ok).toBe(true);
    await expectAllOrNothing(acc, plan.txId, true);
  });

  it("an undecided transaction is presumed aborted by the coordinator's own timer", async () => {
    const acc = await accounts();
    const plan = await transferPlan(acc);
    await crash(plan, "after_first_prepare");
    // A reader that asked without waiting leaves a record to decide later.
    await coordinatorStub(env, plan.txId).resolve(plan.txId, plan.deadlineMs, false);
    await sleep(DEADLINE_MS + DECISION_GRACE_MS / 10);
    await runDurableObjectAlarm(shard(acc.shardA));
    await runDurableObjectAlarm(shard(acc.shardB));
    await expectAllOrNothing(acc, plan.txId, false);
  });

  it("coordinator reset after deciding the commit timestamp: every shard applies that one timestamp, and a snapshot sees all of it", async () => {
    const acc = await accounts();
    const plan = await transferPlan(acc);
    await crash(plan, "after_decision");
    // The snapshot is taken after the decision, so the transaction is inside it: its intents are resolved, not skipped.
    const { transaction } = await tx.beginTransaction({ options: { readOnly: true } });
    const { reads } = await tx.getDocuments({ transaction, refs: [acc.a, acc.b].map((id) => ({ collection: "faults", id })) });
    expect(reads.map((r) => (r.document!.data as { balance: number }).balance)).toEqual([50, 50]);
    const times = reads.map((r) => Number(r.document!.updateTime!.seconds) * 1000 + Math.floor(r.document!.updateTime!.nanos / 1e6));
    expect(times[0]).toBe(times[1]);
    const again = await coordinatorStub(env, plan.txId).commit(plan);
    expect(again.ok && again.commitTimeMs).toBe(times[0]);
    await expectAllOrNothing(acc, plan.txId, true);
  });

  it("coordinator crash after one participant prepared: a snapshot read aborts the undecided transaction and sees none of it", async () => {
    const acc = await accounts();
    const plan = await transferPlan(acc);
    await crash(plan, "after_first_prepare");
    const { transaction } = await tx.beginTransaction({ options: { readOnly: true } });
    const { reads } = await tx.getDocuments({ transaction, refs: [acc.a, acc.b].map((id) => ({ collection: "faults", id })) });
    expect(reads.map((r) => (r.document!.data as { balance: number }).balance)).toEqual([100, 0]);
    await tx.commit({ transaction });
    await expectAllOrNothing(acc, plan.txId, false);
  });

  it("coordinator reset while a retry holds read locks: the shard's alarm drops them after the deadline", async () => {
    const acc = await accounts();
    const first = await tx.beginTransaction({});
    const timeout = { seconds: 0n, nanos: DEADLINE_MS * 1_000_000 };
    const retry = await tx.beginTransaction({ options: { retryOf: first.transaction, timeout } });
    await tx.getDocuments({ transaction: retry.transaction, refs: [{ collection: "faults", id: acc.a }] });
    expect((await locksOn(acc.shardA, retry.transaction)).intents).toBe(1);
    await runInDurableObject(coordinatorOf(retry.transaction), (_o, state) => state.abort("injected coordinator crash")).catch(() => undefined);
    await sleep(DEADLINE_MS + 50);
    await runDurableObjectAlarm(shard(acc.shardA));
    expect((await locksOn(acc.shardA, retry.transaction)).intents).toBe(0);
    await expectCode(tx.commit({ transaction: retry.transaction, writes: [] }), Code.Aborted, /expired/);
    expect(await balances(acc)).toEqual([100, 0]);
  });

  it("shard reset: superseded versions survive it, so a snapshot taken before it still reads them", async () => {
    const acc = await accounts();
    const { transaction } = await tx.beginTransaction({ options: { readOnly: true } });
    // Past the snapshot's clock allowance, so the overwrite is certainly outside it.
    await sleep(CLOCK_UNCERTAINTY_MS + 5);
    await db.setDocument({ ref: { collection: "faults", id: acc.a }, data: { balance: 7 } });
    await runInDurableObject(shard(acc.shardA), (_o, state) => state.abort("injected participant crash")).catch(() => undefined);
    const { reads } = await tx.getDocuments({ transaction, refs: [{ collection: "faults", id: acc.a }] });
    expect(reads.map((r) => [(r.document!.data as { balance: number }).balance, Number(r.version)])).toEqual([[100, acc.va]]);
    expect(await balances(acc)).toEqual([7, 0]);
  });
});

/**
 * Parallel commit (src/sync/parallel-commit.ts): the Worker stages the
 * record and prepares every shard at once, and answers "committed" before
 * the coordinator hears the votes. Whatever goes missing, the coordinator's
 * decision must agree with what the client was told: committed exactly
 * when every participant prepared.
 */
describe("parallel commit crash recovery", () => {
  it("the votes never reach the coordinator after the client was told 'committed': its alarm commits it everywhere", async () => {
    const acc = await accounts();
    const plan = await transferPlan(acc);
    const outcome = await commitInParallel(env, plan, { failpoint: "report_lost" });
    expect(outcome.ok).toBe(true);
    for (const s of [acc.shardA, acc.shardB]) expect((await locksOn(s, plan.txId)).state).toBe("prepared");
    await sleep(STAGING_RECOVERY_MS + 50);
    await runDurableObjectAlarm(coordinatorOf(plan.txId));
    await sleep(50);
    await expectAllOrNothing(acc, plan.txId, true);
  });

  it("the votes never reach the coordinator: a reader needing the locks sees the whole transaction at once, never half and never none", async () => {
    const acc = await accounts();
    const plan = await transferPlan(acc);
    const outcome = await commitInParallel(env, plan, { failpoint: "report_lost" });
    expect(outcome.ok).toBe(true);
    expect(await balances(acc)).toEqual([50, 50]);
    await expectAllOrNothing(acc, plan.txId, true);
  });

  it("the votes never reach the coordinator: a wound or a rollback of the staging transaction finds it committed and undoes nothing", async () => {
    const acc = await accounts();
    const plan = await transferPlan(acc);
    expect((await commitInParallel(env, plan, { failpoint: "report_lost" })).ok).toBe(true);
    const resolution = await coordinatorStub(env, plan.txId).resolve(plan.txId, plan.deadlineMs, true, "wounded");
    expect(resolution.phase).toBe("committed");
    await coordinatorStub(env, plan.txId).rollback(plan.txId, plan.deadlineMs);
    expect(await coordinatorStub(env, plan.txId).lifecycle(plan.txId)).toEqual({ lifecycle: "committed" });
    await expectAllOrNothing(acc, plan.txId, true);
  });

  it("the Worker goes away after staging and one prepare: recovery refuses the other shard, aborts, and a late prepare there is refused", async () => {
    const acc = await accounts();
    const plan = await transferPlan(acc);
    await expect(commitInParallel(env, plan, { failpoint: "second_prepare_lost" })).rejects.toThrow(/second_prepare_lost/);
    expect((await locksOn(acc.shardA, plan.txId)).state).toBe("prepared");
    expect((await locksOn(acc.shardB, plan.txId)).state).toBeNull();
    await sleep(STAGING_RECOVERY_MS + 50);
    await runDurableObjectAlarm(coordinatorOf(plan.txId));
    await sleep(50);
    await expectAllOrNothing(acc, plan.txId, false);
    // The prepare that never left arrives now: the shard refuses it, so the commit can never be completed later.
    const late = await shard(acc.shardB).txPrepare(plan.participants[1]!.request);
    expect(late.vote).toBe("no");
    expect((await coordinatorStub(env, plan.txId).commit(plan)).ok).toBe(false);
    await expectAllOrNothing(acc, plan.txId, false);
  });

  it("the Worker goes away after one prepare: a reader needing the lock aborts it without waiting for the deadline", async () => {
    const acc = await accounts();
    const plan = await transferPlan(acc);
    await expect(commitInParallel(env, plan, { failpoint: "second_prepare_lost" })).rejects.toThrow();
    expect(await balances(acc)).toEqual([100, 0]);
    await expectAllOrNothing(acc, plan.txId, false);
  });

  it("coordinator crash right after the staging record is durable: the Worker's report after the restart commits it", async () => {
    const acc = await accounts();
    const plan = await transferPlan(acc);
    await expect(coordinatorStub(env, plan.txId).stage(plan, "after_stage")).rejects.toThrow();
    const votes = await Promise.all(plan.participants.map(async (p) => ({ shard: p.shard, vote: await shard(p.shard).txPrepare(p.request) })));
    expect(votes.every((v) => v.vote.vote === "yes")).toBe(true);
    const outcome = await coordinatorStub(env, plan.txId).finishStaged(plan, votes);
    expect(outcome.ok).toBe(true);
    await sleep(50);
    await expectAllOrNothing(acc, plan.txId, true);
  });

  it("coordinator crash after staging, before any prepare: its alarm refuses both shards and aborts", async () => {
    const acc = await accounts();
    const plan = await transferPlan(acc);
    await expect(coordinatorStub(env, plan.txId).stage(plan, "after_stage")).rejects.toThrow();
    await sleep(STAGING_RECOVERY_MS + 50);
    await runDurableObjectAlarm(coordinatorOf(plan.txId));
    expect((await coordinatorStub(env, plan.txId).lifecycle(plan.txId)).lifecycle).toBe("aborted");
    for (const p of plan.participants) expect((await shard(p.shard).txPrepare(p.request)).vote).toBe("no");
    await expectAllOrNothing(acc, plan.txId, false);
  });

  it("a one-shard commit a resharding refused, sent again over two shards, commits: its one-phase claim is the same commit", async () => {
    // CI: a transfer whose one-shard commit met a resharding (nothing applied)
    // was sent again by the Worker under the new table, where its documents
    // lay on two shards, and staging refused it as "another commit" of the id.
    const acc = await accounts();
    const plan = await transferPlan(acc);
    const fingerprint = plan.participants[0]!.request.txFingerprint;
    const claimed = await coordinatorStub(env, plan.txId).claimOnePhase(plan.txId, plan.deadlineMs, acc.shardA, fingerprint);
    expect(claimed.claim?.kind).toBe("claimed");
    expect((await commitInParallel(env, plan)).ok).toBe(true);
    await sleep(50);
    await expectAllOrNothing(acc, plan.txId, true);
    // A different commit of a claimed id is still refused, and applies nothing.
    const other = await accounts();
    const otherPlan = await transferPlan(other);
    await coordinatorStub(env, otherPlan.txId).claimOnePhase(otherPlan.txId, otherPlan.deadlineMs, other.shardA, "another-commit");
    const refused = await commitInParallel(env, otherPlan);
    expect(refused.ok === false && refused.message).toMatch(/commits once/);
    await sleep(50);
    await expectAllOrNothing(other, otherPlan.txId, false);
  });

  it("a no vote for locks is not final, so the same commit sent again while the first is being aborted can never be told 'committed'", async () => {
    const acc = await accounts();
    // Another transaction holds b's lock: the first try's prepare there answers no and records nothing.
    const blocker = await transferPlan(acc);
    const blockerB = blocker.participants[1]!;
    expect((await shard(blockerB.shard).txPrepare(blockerB.request)).vote).toBe("yes");
    const plan = await transferPlan(acc);
    const first = await commitInParallel(env, plan);
    expect(first.ok).toBe(false);
    // The blocker goes away; the same commit again (a client's re-send) meets a refusal recorded by the first try's recovery.
    await shard(blockerB.shard).txAbort(blocker.txId, Date.now() + 60_000);
    expect((await commitInParallel(env, plan)).ok).toBe(false);
    await expectAllOrNothing(acc, plan.txId, false);
  });
});

