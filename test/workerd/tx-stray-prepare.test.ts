/**
 * A repeated Commit sent after a resharding spread its documents over other
 * shards prepares them again on shards that were not the commit's own (the
 * same reads and writes, so the same fingerprint), and the coordinator
 * aborts those prepares once the Worker reports the votes. If the Worker
 * dies before that report, or a reader meets such a prepare's lock first,
 * the shard asks the coordinator about the id: it must learn "aborted" for
 * itself, never the id's "committed", which would apply the commit a second
 * time there. src/sync/README.md, "A repeated Commit".
 *
 * The stray prepare is made here as the Worker would have made it (the same
 * txId and fingerprint, on a shard outside the committed plan), without a
 * resharding: what the shard and the coordinator do with it is the same.
 */
import { describe, expect, it } from "vitest";
import { env, runInDurableObject } from "cloudflare:test";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { changeLogRetention, clusterConfig } from "../../src/env.js";
import { DEVELOPMENT_PAGE_TOKEN_KEY } from "../../src/pagination/page-token.js";
import { createInitialRoutingTable, createShardRouter } from "../../src/routing/router.js";
import { shardStub } from "../../src/shards/shard-client.js";
import type { CommitPlan } from "../../src/sync/commit-plan.js";
import { commitInParallel } from "../../src/sync/parallel-commit.js";
import { resolveOverdue } from "../../src/sync/participant-recovery.js";
import type { ParticipantRequest } from "../../src/sync/participant.js";
import { coordinatorStub } from "../../src/sync/coordinator-client.js";
import { createTransactionToken } from "../../src/sync/tx-token.js";
import { connectClient } from "./helpers.js";

const db = connectClient(CollectionService);
const config = clusterConfig(env);
const router = createShardRouter(createInitialRoutingTable(config.shardCount, config.virtualNodesPerShard));
const COLLECTION = "strays";
const DEADLINE_MS = 400;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let counter = 0;
/** Three fresh documents holding n = 0, on three different shards. */
async function threeShards(): Promise<Array<{ id: string; shard: string }>> {
  const docs: Array<{ id: string; shard: string }> = [];
  for (let i = 0; docs.length < 3; i++) {
    const id = `d${counter}-${i}`;
    const shard = router.shardFor(COLLECTION, id);
    if (!docs.some((d) => d.shard === shard)) docs.push({ id, shard });
  }
  counter++;
  await db.batchWriteDocuments({ writes: docs.map(({ id }) => ({ ref: { collection: COLLECTION, id }, operation: { case: "set" as const, value: { n: 0 } } })) });
  return docs;
}

/** One shard's part of a transaction that sets n on `id`. */
function part(txId: string, deadlineMs: number, fingerprint: string, id: string, n: number): ParticipantRequest {
  return { txId, expiresMs: deadlineMs, reads: [], writes: [{ op: "set", collection: COLLECTION, id, data: { n } }], txFingerprint: fingerprint };
}

/**
 * Commits a blind two-shard transaction over the first two documents, then
 * prepares "the same commit" on the third document's shard, as a repeat
 * whose Worker died before reporting would leave it.
 */
async function committedWithStray(): Promise<{ docs: Array<{ id: string; shard: string }>; plan: CommitPlan }> {
  const docs = await threeShards();
  const token = await createTransactionToken(DEVELOPMENT_PAGE_TOKEN_KEY, Date.now() + DEADLINE_MS, false);
  const fingerprint = `stray-${token.id}`;
  const plan: CommitPlan = {
    txId: token.id,
    deadlineMs: token.deadlineMs,
    participants: docs.slice(0, 2).map(({ id, shard }) => ({ shard, request: part(token.id, token.deadlineMs, fingerprint, id, 1) })),
  };
  expect((await commitInParallel(env, plan)).ok).toBe(true);
  const stray = docs[2]!;
  const vote = await shardStub(env, stray.shard).txPrepare(part(token.id, token.deadlineMs, fingerprint, stray.id, 1), stray.shard);
  expect(vote.vote).toBe("yes");
  return { docs, plan };
}

async function values(docs: ReadonlyArray<{ id: string }>): Promise<number[]> {
  const got = await db.batchGetDocuments({ refs: docs.map(({ id }) => ({ collection: COLLECTION, id })) });
  return got.results.map((r) => (r.document!.data as { n: number }).n);
}

async function heldOn(shard: string, txId: string): Promise<{ state: string | null; intents: number }> {
  return runInDurableObject(env.SHARD.get(env.SHARD.idFromName(shard)), (_o, state) => ({
    state: state.storage.sql.exec<{ state: string }>("SELECT state FROM tx_participations WHERE tx_id = ?", txId).toArray()[0]?.state ?? null,
    intents: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tx_intents WHERE tx_id = ?", txId).one().n,
  }));
}

describe("a prepare of a committed id on a shard outside its commit", () => {
  it("is aborted by the shard's alarm past the deadline, never committed", { timeout: 20_000 }, async () => {
    const { docs, plan } = await committedWithStray();
    await sleep(DEADLINE_MS + 50);
    const stray = docs[2]!;
    await runInDurableObject(env.SHARD.get(env.SHARD.idFromName(stray.shard)), (_o, state) => resolveOverdue(state.storage, env, Date.now(), changeLogRetention(env)));
    expect(await heldOn(stray.shard, plan.txId)).toEqual({ state: "aborted", intents: 0 });
    expect(await values(docs)).toEqual([1, 1, 0]);
  });

  it("is aborted when a reader meets its lock, never committed", { timeout: 20_000 }, async () => {
    const { docs, plan } = await committedWithStray();
    // A plain read of the document resolves the write intent in its way.
    expect(await values(docs)).toEqual([1, 1, 0]);
    expect((await heldOn(docs[2]!.shard, plan.txId)).intents).toBe(0);
    await db.setDocument({ ref: { collection: COLLECTION, id: docs[2]!.id }, data: { n: 5 } });
    expect(await values(docs)).toEqual([1, 1, 5]);
  });

  it("of an id committed in one phase on another shard: aborted by the shard's alarm, its lock released", { timeout: 20_000 }, async () => {
    const docs = await threeShards();
    const token = await createTransactionToken(DEVELOPMENT_PAGE_TOKEN_KEY, Date.now() + DEADLINE_MS, false);
    const fingerprint = `one-phase-${token.id}`;
    const [own, , stray] = docs as [{ id: string; shard: string }, unknown, { id: string; shard: string }];
    const claimed = await coordinatorStub(env, token.id).claimOnePhase(token.id, token.deadlineMs, own.shard, fingerprint);
    expect(claimed.claim?.kind).toBe("claimed");
    expect((await shardStub(env, own.shard).txCommitOnePhase(part(token.id, token.deadlineMs, fingerprint, own.id, 1))).vote).toBe("yes");
    expect((await shardStub(env, stray.shard).txPrepare(part(token.id, token.deadlineMs, fingerprint, stray.id, 1), stray.shard)).vote).toBe("yes");
    await sleep(DEADLINE_MS + 50);
    await runInDurableObject(env.SHARD.get(env.SHARD.idFromName(stray.shard)), (_o, state) => resolveOverdue(state.storage, env, Date.now(), changeLogRetention(env)));
    expect(await heldOn(stray.shard, token.id)).toEqual({ state: "aborted", intents: 0 });
    expect(await values([own, stray])).toEqual([1, 0]);
  });

  it("a repeat of a staging commit over other shards answers its outcome and leaves no prepare of its own", { timeout: 20_000 }, async () => {
    const docs = await threeShards();
    const token = await createTransactionToken(DEVELOPMENT_PAGE_TOKEN_KEY, Date.now() + DEADLINE_MS, false);
    const fingerprint = `staging-${token.id}`;
    const planOver = (over: ReadonlyArray<{ id: string; shard: string }>): CommitPlan => ({
      txId: token.id,
      deadlineMs: token.deadlineMs,
      participants: over.map(({ id, shard }) => ({ shard, request: part(token.id, token.deadlineMs, fingerprint, id, 1) })),
    });
    // The first commit's client was told "committed"; its votes never reached the coordinator (staging).
    expect((await commitInParallel(env, planOver(docs.slice(0, 2)), { failpoint: "report_lost" })).ok).toBe(true);
    // The same commit again, as a changed routing table would spread it (the third document's shard instead of the second's).
    const again = await commitInParallel(env, planOver([docs[0]!, docs[2]!]));
    expect(again.ok).toBe(true);
    expect(await heldOn(docs[2]!.shard, token.id)).toEqual({ state: "aborted", intents: 0 });
    expect(await values(docs)).toEqual([1, 1, 0]);
  });

  it("the commit's own participants still learn 'committed', and a shard that does not name itself gets the id's fate", async () => {
    const { docs, plan } = await committedWithStray();
    const coordinator = coordinatorStub(env, plan.txId);
    expect((await coordinator.resolve(plan.txId, plan.deadlineMs, true, "expired", docs[0]!.shard)).phase).toBe("committed");
    expect((await coordinator.resolve(plan.txId, plan.deadlineMs, true, "expired", docs[2]!.shard)).phase).toBe("aborted");
    expect((await coordinator.resolve(plan.txId, plan.deadlineMs, true, "expired")).phase).toBe("committed");
    expect(await values(docs.slice(0, 2))).toEqual([1, 1]);
  });
});
