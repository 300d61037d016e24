/**
 * DeleteCollection and transactions in progress: documents a transaction
 * holds are settled first (as for any write), so a transaction committed
 * before the delete cannot bring its documents back after it says done.
 * Uses the same crash injection as faults.test.ts (a coordinator that dies
 * after deciding to commit, before telling the shards).
 */
import { describe, expect, it } from "vitest";
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { clusterConfig } from "../../src/env.js";
import { DEVELOPMENT_PAGE_TOKEN_KEY } from "../../src/pagination/page-token.js";
import { createInitialRoutingTable, createShardRouter } from "../../src/routing/router.js";
import type { CommitPlan } from "../../src/sync/commit-plan.js";
import { coordinatorName, coordinatorStub } from "../../src/sync/coordinator-client.js";
import { coordinatorIndexOf, createTransactionToken } from "../../src/sync/tx-token.js";
import { DELIVERY_RETRY_MS } from "../../src/sync/twoPhaseCommit.js";
import { connectClient } from "./helpers.js";

const db = connectClient(CollectionService);
const config = clusterConfig(env);
const router = createShardRouter(createInitialRoutingTable(config.shardCount, config.virtualNodesPerShard));
const COLLECTION = "dcl_locked";

const shard = (id: string) => env.SHARD.get(env.SHARD.idFromName(id));

async function intentsOn(shardId: string): Promise<number> {
  return runInDurableObject(shard(shardId), (_o, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tx_intents").one().n);
}

describe("DeleteCollection and transaction locks", () => {
  it("settles a committed-but-undelivered transaction first, so its documents do not come back after done", async () => {
    const a = "a";
    let b = "";
    for (let i = 0; b === ""; i++) if (router.shardFor(COLLECTION, `b${i}`) !== router.shardFor(COLLECTION, a)) b = `b${i}`;
    const [shardA, shardB] = [router.shardFor(COLLECTION, a), router.shardFor(COLLECTION, b)];
    for (let i = 0; i < 30; i++) await db.setDocument({ ref: { collection: COLLECTION, id: `x${i}` }, data: { i } });
    const token = await createTransactionToken(DEVELOPMENT_PAGE_TOKEN_KEY, Date.now() + 300, false);
    const part = (shardId: string, id: string) => ({
      shard: shardId,
      request: { txId: token.id, expiresMs: token.deadlineMs, reads: [], writes: [{ op: "set" as const, collection: COLLECTION, id, data: { tx: true } }], txFingerprint: `dcl-${token.id}` },
    });
    const plan: CommitPlan = { txId: token.id, deadlineMs: token.deadlineMs, participants: [part(shardA, a), part(shardB, b)] };
    await expect(coordinatorStub(env, plan.txId).commit(plan, "after_decision")).rejects.toThrow();
    expect((await intentsOn(shardA)) + (await intentsOn(shardB))).toBeGreaterThan(0);

    let done = false;
    for (let i = 0; i < 20 && !done; i++) done = (await db.deleteCollection({ collection: COLLECTION, batchSize: 10 })).done;
    expect(done).toBe(true);
    expect(await intentsOn(shardA)).toBe(0);
    expect(await intentsOn(shardB)).toBe(0);

    // The coordinator's own recovery runs later and finds nothing to redo.
    await new Promise((resolve) => setTimeout(resolve, DELIVERY_RETRY_MS + 50));
    await runDurableObjectAlarm(env.TX_COORDINATOR.get(env.TX_COORDINATOR.idFromName(coordinatorName(coordinatorIndexOf(plan.txId)))));
    expect((await db.listDocuments({ collection: COLLECTION })).documents).toEqual([]);
    expect((await db.listCollections({})).collections.map((c) => c.name)).not.toContain(COLLECTION);
  });
});
