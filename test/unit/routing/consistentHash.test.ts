import { describe, expect, it } from "vitest";
import {
  RING_POINT_COUNT_MAX,
  SHARD_COUNT_MAX,
  SHARD_ID_LENGTH_MAX,
  VIRTUAL_NODES_PER_SHARD_MAX,
  VIRTUAL_NODES_PER_SHARD_MIN,
  createConsistentHashRing,
} from "../../../src/routing/consistentHash.js";
import { hash32 } from "../../../src/routing/hash.js";
import { KEY_COUNT, loadsOf, ownersOf, sampleKeys, shardIds } from "./fixtures.js";

const VIRTUAL_NODES = 1024;
const keys = sampleKeys(KEY_COUNT);

describe("ConsistentHashRing", () => {
  it("names the same shard for a key across rebuilds and placement orders", () => {
    const shards = shardIds(8);
    const ring = createConsistentHashRing({ shards, virtualNodesPerShard: VIRTUAL_NODES });
    const rebuilt = createConsistentHashRing({ shards, virtualNodesPerShard: VIRTUAL_NODES });
    const reordered = createConsistentHashRing({
      shards: [...shards].reverse(),
      virtualNodesPerShard: VIRTUAL_NODES,
    });
    const sample = keys.slice(0, 10_000);
    const owners = ownersOf(ring, sample);
    expect(ownersOf(rebuilt, sample)).toEqual(owners);
    expect(ownersOf(reordered, sample)).toEqual(owners);
    // Placement order is still reported as given.
    expect(reordered.shards()).toEqual([...shards].reverse());
  });

  it("routes every key to one of its shards and gives every shard some keys", () => {
    const shards = shardIds(8);
    const ring = createConsistentHashRing({ shards, virtualNodesPerShard: VIRTUAL_NODES });
    const loads = loadsOf(shards, ownersOf(ring, keys.slice(0, 10_000)));
    expect([...loads.keys()].sort()).toEqual([...shards].sort());
    for (const load of loads.values()) expect(load).toBeGreaterThan(0);
  });

  it("sends every key to the only shard of a one-shard ring", () => {
    const ring = createConsistentHashRing({ shards: ["solo"], virtualNodesPerShard: 1 });
    for (const key of ["", "a", "users/user-1", "\u{1F389}"]) expect(ring.shardFor(key)).toBe("solo");
  });

  it("moves about 1/9 of keys, all to the new shard, when a 9th shard joins 8", () => {
    const before = createConsistentHashRing({ shards: shardIds(8), virtualNodesPerShard: VIRTUAL_NODES });
    const after = before.withShard("shard-8");
    const ownersBefore = ownersOf(before, keys);
    const ownersAfter = ownersOf(after, keys);

    let moved = 0;
    const movedTo = new Set<string>();
    ownersBefore.forEach((owner, i) => {
      if (ownersAfter[i] === owner) return;
      moved++;
      movedTo.add(ownersAfter[i]!);
    });
    const fraction = moved / keys.length;
    console.log(`adding shard-8 to 8 shards moved ${moved}/${keys.length} keys (${fraction.toFixed(4)}; ideal 1/9 = 0.1111)`);
    expect(fraction).toBeGreaterThanOrEqual(0.09);
    expect(fraction).toBeLessThanOrEqual(0.135);
    // No key moves between two old shards.
    expect([...movedTo]).toEqual(["shard-8"]);
  });

  it("moves only the removed shard's keys when a shard leaves", () => {
    const before = createConsistentHashRing({ shards: shardIds(8), virtualNodesPerShard: VIRTUAL_NODES });
    const after = before.withoutShard("shard-3");
    const ownersBefore = ownersOf(before, keys);
    const ownersAfter = ownersOf(after, keys);

    let moved = 0;
    let movedWrongly = 0;
    ownersBefore.forEach((owner, i) => {
      if (ownersAfter[i] === owner) return;
      moved++;
      if (owner !== "shard-3") movedWrongly++;
    });
    expect(movedWrongly).toBe(0);
    // Every key of the removed shard moved, and it held about its 1/8 share.
    expect(moved).toBe(ownersBefore.filter((owner) => owner === "shard-3").length);
    expect(moved / keys.length).toBeGreaterThan(0.1);
    expect(ownersAfter).not.toContain("shard-3");
    expect(after.shards()).not.toContain("shard-3");
  });

  it("leaves the original ring unchanged when deriving new rings", () => {
    const ring = createConsistentHashRing({ shards: shardIds(4), virtualNodesPerShard: 64 });
    const sample = keys.slice(0, 2_000);
    const owners = ownersOf(ring, sample);
    ring.withShard("shard-4");
    ring.withoutShard("shard-0");
    expect(ring.shards()).toEqual(shardIds(4));
    expect(ownersOf(ring, sample)).toEqual(owners);
  });

  it("gives a shared point to the shard whose id sorts first, in any ring holding both", () => {
    // These two ids place their only virtual node on the same point.
    const [low, high] = ["s16486", "s40335"] as const;
    expect(hash32(`${low}#0`)).toBe(hash32(`${high}#0`));

    const both = createConsistentHashRing({ shards: [high, low], virtualNodesPerShard: 1 });
    const sample = keys.slice(0, 100);
    // With one shared point the ring has one owner: the lower id.
    expect(new Set(ownersOf(both, sample))).toEqual(new Set([low]));
    // Adding a third shard does not hand the shared point to the higher id.
    expect(ownersOf(both.withShard("shard-x"), sample)).not.toContain(high);
    // Removing the winner hands the point to the other shard.
    expect(new Set(ownersOf(both.withoutShard(low), sample))).toEqual(new Set([high]));
  });

  describe("rejects invalid configuration", () => {
    const valid = { shards: ["shard-0"], virtualNodesPerShard: 8 };
    const cases: ReadonlyArray<readonly [string, () => unknown]> = [
      ["no shards", () => createConsistentHashRing({ ...valid, shards: [] })],
      ["duplicate shard ids", () => createConsistentHashRing({ ...valid, shards: ["a", "b", "a"] })],
      ["an empty shard id", () => createConsistentHashRing({ ...valid, shards: [""] })],
      ["a shard id with '/'", () => createConsistentHashRing({ ...valid, shards: ["a/b"] })],
      ["a shard id with '#'", () => createConsistentHashRing({ ...valid, shards: ["a#1"] })],
      ["a shard id starting with '-'", () => createConsistentHashRing({ ...valid, shards: ["-a"] })],
      [
        "a shard id over SHARD_ID_LENGTH_MAX",
        () => createConsistentHashRing({ ...valid, shards: ["x".repeat(SHARD_ID_LENGTH_MAX + 1)] }),
      ],
      [
        "more than SHARD_COUNT_MAX shards",
        () => createConsistentHashRing({ shards: shardIds(SHARD_COUNT_MAX + 1), virtualNodesPerShard: 1 }),
      ],
      ["zero virtual nodes", () => createConsistentHashRing({ ...valid, virtualNodesPerShard: 0 })],
      [
        "virtual nodes over VIRTUAL_NODES_PER_SHARD_MAX",
        () => createConsistentHashRing({ ...valid, virtualNodesPerShard: VIRTUAL_NODES_PER_SHARD_MAX + 1 }),
      ],
      ["fractional virtual nodes", () => createConsistentHashRing({ ...valid, virtualNodesPerShard: 1.5 })],
      ["NaN virtual nodes", () => createConsistentHashRing({ ...valid, virtualNodesPerShard: Number.NaN })],
      [
        "more than RING_POINT_COUNT_MAX points",
        () =>
          createConsistentHashRing({
            shards: shardIds(RING_POINT_COUNT_MAX / VIRTUAL_NODES_PER_SHARD_MAX + 1),
            virtualNodesPerShard: VIRTUAL_NODES_PER_SHARD_MAX,
          }),
      ],
      ["adding a shard twice", () => createConsistentHashRing(valid).withShard("shard-0")],
      ["removing an absent shard", () => createConsistentHashRing(valid).withoutShard("shard-9")],
      ["removing the last shard", () => createConsistentHashRing(valid).withoutShard("shard-0")],
    ];
    it.each(cases)("%s", (_, build) => {
      expect(build).toThrow(RangeError);
      expect(build).toThrow(/invalid routing configuration/);
    });

    it("accepts the limits themselves", () => {
      const ring = createConsistentHashRing({
        shards: ["a", "b"],
        virtualNodesPerShard: VIRTUAL_NODES_PER_SHARD_MIN,
      });
      expect(ring.shards()).toEqual(["a", "b"]);
      const widest = createConsistentHashRing({
        shards: ["x".repeat(SHARD_ID_LENGTH_MAX)],
        virtualNodesPerShard: VIRTUAL_NODES_PER_SHARD_MAX,
      });
      expect(widest.shardFor("k")).toBe("x".repeat(SHARD_ID_LENGTH_MAX));
    });
  });
});
