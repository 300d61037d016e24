/**
 * Pairs of documents that fall on ONE shard or on TWO, as the ImpossibleDB
 * under test routes them: its routing table is the initial table of the
 * bench Worker (8 shards, 1,024 virtual nodes each), so the real router from
 * `src/routing` tells where each id lives. Other systems get the same pairs
 * (to them a pair is just two rows).
 */
import { createInitialRoutingTable, createShardRouter } from "../../src/routing/router.js";

/** Shards of the ImpossibleDB the harness starts (bench/run.ts). */
export const BENCH_SHARD_COUNT = 8;

export interface PairChooser {
  /** Two distinct ids on the same shard. */
  sameShard(random: () => number): readonly [string, string];
  /** Two ids on different shards. */
  twoShards(random: () => number): readonly [string, string];
}

export function createPairChooser(collection: string, ids: readonly string[], shardCount = BENCH_SHARD_COUNT): PairChooser {
  const router = createShardRouter(createInitialRoutingTable(shardCount));
  const groups = [...router.shardsFor(collection, ids).values()].filter((g) => g.length >= 2);
  if (groups.length < 2) throw new RangeError(`${ids.length} ids are too few to make pairs on one and on two shards`);
  const pick = <T>(items: readonly T[], random: () => number): T => items[Math.floor(random() * items.length)]!;
  return {
    sameShard(random) {
      const group = pick(groups, random);
      const a = Math.floor(random() * group.length);
      const b = (a + 1 + Math.floor(random() * (group.length - 1))) % group.length;
      return [group[a]!, group[b]!];
    },
    twoShards(random) {
      const g = Math.floor(random() * groups.length);
      const h = (g + 1 + Math.floor(random() * (groups.length - 1))) % groups.length;
      return [pick(groups[g]!, random), pick(groups[h]!, random)];
    },
  };
}
