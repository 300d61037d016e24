import { describe, expect, it } from "vitest";
import { createConsistentHashRing } from "../../../src/routing/consistentHash.js";
import {
  ROUTING_TABLE_VERSION_INITIAL,
  createInitialRoutingTable,
  createShardRouter,
  defaultVirtualNodesPerShard,
  routingKey,
  withShardAdded,
  withShardRemoved,
  type RoutingTable,
} from "../../../src/routing/router.js";
import { KEY_COUNT, loadsOf, shardIds } from "./fixtures.js";

const COLLECTION = "users";
const documentIds = Array.from({ length: KEY_COUNT }, (_, i) => `user-${i}`);

function ownersOf(table: RoutingTable, ids: readonly string[]): string[] {
  const router = createShardRouter(table);
  return ids.map((id) => router.shardFor(COLLECTION, id));
}

describe("createInitialRoutingTable", () => {
  it("names shard-0 .. shard-{n-1} at version 1 with the default virtual nodes", () => {
    expect(createInitialRoutingTable(3)).toEqual({
      version: ROUTING_TABLE_VERSION_INITIAL,
      shards: ["shard-0", "shard-1", "shard-2"],
      virtualNodesPerShard: defaultVirtualNodesPerShard,
    });
    expect(ROUTING_TABLE_VERSION_INITIAL).toBe(1);
    expect(createInitialRoutingTable(2, 16).virtualNodesPerShard).toBe(16);
  });

  it.each([0, -1, 1.5, Number.NaN, 1025])("rejects a shard count of %s", (shardCount) => {
    expect(() => createInitialRoutingTable(shardCount)).toThrow(RangeError);
  });

  it("rejects virtual node counts outside the limits", () => {
    expect(() => createInitialRoutingTable(8, 0)).toThrow(RangeError);
    expect(() => createInitialRoutingTable(8, 4097)).toThrow(RangeError);
  });

  it("serves the largest cluster at the default virtual nodes", () => {
    expect(() => createInitialRoutingTable(1024)).not.toThrow();
  });
});

describe("ShardRouter", () => {
  const table = createInitialRoutingTable(8);
  const router = createShardRouter(table);

  it("routes a document to the shard the ring names for its routing key", () => {
    const ring = createConsistentHashRing(table);
    for (const id of documentIds.slice(0, 5_000)) {
      const shard = router.shardFor(COLLECTION, id);
      if (shard !== ring.shardFor(routingKey(COLLECTION, id))) {
        expect.fail(`router and ring disagree on ${id}`);
      }
    }
  });

  it("routes the same way after the router is rebuilt from an equal table", () => {
    const sample = documentIds.slice(0, 5_000);
    const copy: RoutingTable = { ...table, shards: [...table.shards] };
    expect(ownersOf(copy, sample)).toEqual(ownersOf(table, sample));
  });

  it("keeps documents with the same id in different collections apart", () => {
    const shardsOfOneId = new Set(
      Array.from({ length: 64 }, (_, i) => router.shardFor(`collection-${i}`, "same-id")),
    );
    expect(shardsOfOneId.size).toBeGreaterThan(1);
  });

  it("encodes routing keys so no two (collection, id) pairs share one", () => {
    expect(routingKey("a/b", "c")).not.toBe(routingKey("a", "b/c"));
    expect(routingKey("users", "1")).toBe("5:users/1");
    expect(routingKey("", "x")).not.toBe(routingKey("x", ""));
  });

  it("groups a batch by shard, agreeing with shardFor and keeping input order", () => {
    const batch = [...documentIds.slice(0, 500), "user-7"];
    const groups = router.shardsFor(COLLECTION, batch);
    let grouped = 0;
    for (const [shard, ids] of groups) {
      for (const id of ids) expect(router.shardFor(COLLECTION, id)).toBe(shard);
      // Each group is a subsequence of the batch.
      expect(ids).toEqual(batch.filter((id) => router.shardFor(COLLECTION, id) === shard));
      grouped += ids.length;
    }
    expect(grouped).toBe(batch.length);
    expect(router.shardsFor(COLLECTION, []).size).toBe(0);
  });

  it("lists every shard in placement order and exposes its table", () => {
    expect(router.allShards()).toEqual(shardIds(8));
    expect(router.table).toBe(table);
  });

  it("balances 100,000 documents over 8 shards within 10% at the default virtual nodes", () => {
    const loads = [...loadsOf(table.shards, ownersOf(table, documentIds)).values()];
    const ratio = Math.max(...loads) / Math.min(...loads);
    console.log(
      `8 shards x ${defaultVirtualNodesPerShard} virtual nodes, ${KEY_COUNT} keys: ` +
        `loads ${loads.join(", ")}; max/min ${ratio.toFixed(4)}`,
    );
    expect(ratio).toBeLessThanOrEqual(1.1);
  });

  it("rejects an invalid table", () => {
    expect(() => createShardRouter({ ...table, version: 0 })).toThrow(RangeError);
    expect(() => createShardRouter({ ...table, version: 1.5 })).toThrow(RangeError);
    expect(() => createShardRouter({ ...table, shards: [] })).toThrow(RangeError);
    expect(() => createShardRouter({ ...table, shards: ["shard-0", "shard-0"] })).toThrow(RangeError);
    expect(() => createShardRouter({ ...table, virtualNodesPerShard: 0 })).toThrow(RangeError);
  });
});

describe("routing table changes", () => {
  const table = createInitialRoutingTable(8);

  it("bumps the version on every change and leaves the old table alone", () => {
    const grown = withShardAdded(table, "shard-8");
    expect(grown.version).toBe(table.version + 1);
    expect(grown.shards).toEqual(shardIds(9));
    const shrunk = withShardRemoved(grown, "shard-2");
    expect(shrunk.version).toBe(table.version + 2);
    expect(shrunk.shards).not.toContain("shard-2");
    expect(table).toEqual(createInitialRoutingTable(8));
  });

  it("moves about 1/9 of documents, all to the new shard, when a 9th shard joins", () => {
    const before = ownersOf(table, documentIds);
    const after = ownersOf(withShardAdded(table, "shard-8"), documentIds);
    const movedTo = after.filter((owner, i) => owner !== before[i]);
    const fraction = movedTo.length / documentIds.length;
    console.log(`table change to 9 shards moved ${movedTo.length}/${KEY_COUNT} documents (${fraction.toFixed(4)})`);
    expect(fraction).toBeGreaterThanOrEqual(0.09);
    expect(fraction).toBeLessThanOrEqual(0.135);
    expect(new Set(movedTo)).toEqual(new Set(["shard-8"]));
  });

  it("rejects adding an existing shard and removing an absent or last one", () => {
    expect(() => withShardAdded(table, "shard-0")).toThrow(RangeError);
    expect(() => withShardAdded(table, "bad/id")).toThrow(RangeError);
    expect(() => withShardRemoved(table, "shard-99")).toThrow(RangeError);
    expect(() => withShardRemoved(createInitialRoutingTable(1), "shard-0")).toThrow(RangeError);
  });
});
