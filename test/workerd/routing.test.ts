import { describe, expect, it } from "vitest";
import { env, runInDurableObject } from "cloudflare:test";
import { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { clusterConfig } from "../../src/env.js";
import { createShardRouter } from "../../src/routing/router.js";
import { connectClient } from "./helpers.js";

const db = connectClient(CollectionService);
const admin = connectClient(AdminService);

describe("routing", () => {
  it("AdminService serves the versioned routing table the configuration asks for", async () => {
    const { table } = await admin.getRoutingTable({});
    const config = clusterConfig(env);
    expect(table!.version).toBe(1n);
    expect(table!.shards.map((s) => s.id)).toEqual(Array.from({ length: config.shardCount }, (_, i) => `shard-${i}`));
    expect(table!.virtualNodesPerShard).toBe(config.virtualNodesPerShard);
    expect(table!.hashFunction).toBe("murmur3_x86_32");
  });

  it("every document is stored on the shard the ring names, and only there", async () => {
    const { table } = await admin.getRoutingTable({});
    const router = createShardRouter({
      version: Number(table!.version),
      shards: table!.shards.map((s) => s.id),
      virtualNodesPerShard: table!.virtualNodesPerShard,
    });
    const ids = Array.from({ length: 200 }, (_, i) => `doc-${i}`);
    for (let i = 0; i < ids.length; i += 100) {
      await db.batchWriteDocuments({
        writes: ids.slice(i, i + 100).map((id) => ({ ref: { collection: "placed", id }, operation: { case: "set" as const, value: { id } } })),
      });
    }
    const seen = new Map<string, string>();
    for (const shard of router.allShards()) {
      const stub = env.SHARD.get(env.SHARD.idFromName(shard));
      const rows = await runInDurableObject(stub, (_obj, state) =>
        state.storage.sql.exec<{ id: string }>("SELECT id FROM documents WHERE collection = 'placed'").toArray(),
      );
      for (const { id } of rows) {
        expect(seen.has(id), `${id} stored twice`).toBe(false);
        seen.set(id, shard);
        expect(router.shardFor("placed", id)).toBe(shard);
      }
    }
    expect(seen.size).toBe(ids.length);
    // With 200 documents over 8 shards, every shard holds some.
    expect(new Set(seen.values()).size).toBe(router.allShards().length);

    const { shards } = await admin.listShards({});
    expect(shards.reduce((n, s) => n + Number(s.documentCount), 0)).toBe(ids.length);
    expect(shards.every((s) => s.schemaVersion >= 1)).toBe(true);
  });

  it("ListShards reports each shard's recent request rate, counting the calls it answered", async () => {
    const { table } = await admin.getRoutingTable({});
    const router = createShardRouter({
      version: Number(table!.version),
      shards: table!.shards.map((s) => s.id),
      virtualNodesPerShard: table!.virtualNodesPerShard,
    });
    const target = router.shardFor("rated", "hot");
    const before = await admin.listShards({});
    const rateOf = (list: typeof before, shard: string): number => list.shards.find((s) => s.id === shard)!.requestsPerSecond;
    const writes = 20;
    for (let i = 0; i < writes; i += 1) await db.setDocument({ ref: { collection: "rated", id: "hot" }, data: { i } });
    const after = await admin.listShards({});
    // The rate averages over at most REQUEST_RATE_WINDOW_SECONDS, so 20
    // calls raise it by at least 20/60 per second; ListShards's own reads
    // are not counted, so shards nobody called stay where they were.
    expect(rateOf(after, target)).toBeGreaterThanOrEqual(rateOf(before, target) + writes / 60 - 1e-9);
    const idle = after.shards.find((s) => s.id !== target && rateOf(before, s.id) === 0);
    if (idle !== undefined) expect(idle.requestsPerSecond).toBe(0);
  });
});
