import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createConsistentHashRing } from "../../../src/routing/consistentHash.js";

// Few virtual nodes keep each run fast; minimal movement must hold at any
// count, and small counts make ties and wrap-around more likely, not less.
const VIRTUAL_NODES_MAX = 32;
const RUN_COUNT = 200;

const shardId = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,11}$/);
const ringSetup = fc.record({
  shards: fc.uniqueArray(shardId, { minLength: 1, maxLength: 12 }),
  extra: shardId,
  virtualNodesPerShard: fc.integer({ min: 1, max: VIRTUAL_NODES_MAX }),
  keys: fc.array(fc.string({ unit: "grapheme", maxLength: 24 }), { minLength: 1, maxLength: 200 }),
});

// fast-check reports the seed and shrunk counterexample of any failure, so a
// failing run can be replayed with `{ seed, path }`.
describe("ConsistentHashRing minimal movement (property)", () => {
  it("adding a shard moves keys only onto that shard", () => {
    fc.assert(
      fc.property(ringSetup, ({ shards, extra, virtualNodesPerShard, keys }) => {
        fc.pre(!shards.includes(extra));
        const before = createConsistentHashRing({ shards, virtualNodesPerShard });
        const after = before.withShard(extra);
        for (const key of keys) {
          const owner = after.shardFor(key);
          expect(owner === before.shardFor(key) || owner === extra).toBe(true);
        }
      }),
      { numRuns: RUN_COUNT },
    );
  });

  it("removing a shard moves only that shard's keys", () => {
    fc.assert(
      fc.property(ringSetup, ({ shards, extra, virtualNodesPerShard, keys }) => {
        fc.pre(!shards.includes(extra));
        const before = createConsistentHashRing({ shards: [...shards, extra], virtualNodesPerShard });
        const after = before.withoutShard(extra);
        for (const key of keys) {
          const owner = before.shardFor(key);
          if (owner === extra) expect(after.shardFor(key)).not.toBe(extra);
          else expect(after.shardFor(key)).toBe(owner);
        }
      }),
      { numRuns: RUN_COUNT },
    );
  });

  it("does not depend on the order shards are listed in", () => {
    fc.assert(
      fc.property(ringSetup, fc.nat(), ({ shards, virtualNodesPerShard, keys }, rotation) => {
        const offset = rotation % shards.length;
        const rotated = [...shards.slice(offset), ...shards.slice(0, offset)].reverse();
        const ring = createConsistentHashRing({ shards, virtualNodesPerShard });
        const other = createConsistentHashRing({ shards: rotated, virtualNodesPerShard });
        for (const key of keys) expect(other.shardFor(key)).toBe(ring.shardFor(key));
      }),
      { numRuns: RUN_COUNT },
    );
  });
});
