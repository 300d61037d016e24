import { describe, expect, it } from "vitest";
import { createPairChooser } from "../../../bench/lib/shard-pairs.js";
import { createRandom } from "../../../bench/lib/keys.js";
import { createInitialRoutingTable, createShardRouter } from "../../../src/routing/router.js";

describe("bench shard pairs", () => {
  const ids = Array.from({ length: 500 }, (_, i) => `acct${i}`);
  const router = createShardRouter(createInitialRoutingTable(8));
  const chooser = createPairChooser("bank", ids);
  const random = createRandom(7);

  it("gives two distinct documents on the same shard, as the Worker routes them", () => {
    for (let i = 0; i < 1000; i++) {
      const [a, b] = chooser.sameShard(random);
      expect(a).not.toBe(b);
      expect(router.shardFor("bank", a)).toBe(router.shardFor("bank", b));
    }
  });

  it("gives documents on two different shards", () => {
    for (let i = 0; i < 1000; i++) {
      const [a, b] = chooser.twoShards(random);
      expect(router.shardFor("bank", a)).not.toBe(router.shardFor("bank", b));
    }
  });

  it("refuses ids too few to make both kinds of pair", () => {
    expect(() => createPairChooser("bank", ["only"])).toThrow(RangeError);
  });
});
