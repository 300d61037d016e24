/**
 * The capacity model: per-shard throughput measured here, multiplied out to
 * N shards. A cluster is as fast as its busiest shard allows, so the model
 * divides the per-shard capacity by the share of requests that land on the
 * busiest shard, computed from the real hash ring (src/routing) and the
 * workload's key distribution (zipfian, theta 0.99, over MODEL_RECORDS).
 */
import { createInitialRoutingTable, createShardRouter } from "../../src/routing/router.js";
import { COLLECTION } from "../config.js";
import { createPermutation, createRandom, recordId, zipfianProbabilities } from "./keys.js";

/** Records in the modelled database. */
export const MODEL_RECORDS = 200_000;
export const MODEL_SHARD_COUNTS = [1, 8, 64, 256] as const;
/** Platform soft limits for one Durable Object (PLATFORM.md): requests/s, and writes/s (upper end of 200-500). */
export const DO_REQUESTS_PER_SECOND_SOFT = 1_000;
export const DO_WRITES_PER_SECOND_SOFT = 500;

export interface ShardShare {
  readonly shards: number;
  /** Fraction of requests on the busiest shard, zipfian keys. */
  readonly zipfianMaxShare: number;
  /** Fraction of requests on the busiest shard, uniform keys. */
  readonly uniformMaxShare: number;
}

export function busiestShardShares(): ShardShare[] {
  const p = zipfianProbabilities(MODEL_RECORDS);
  const perm = createPermutation(MODEL_RECORDS, createRandom(1));
  return MODEL_SHARD_COUNTS.map((shards) => {
    const router = createShardRouter(createInitialRoutingTable(shards));
    const zipf = new Map<string, number>();
    const uniform = new Map<string, number>();
    for (let rank = 0; rank < MODEL_RECORDS; rank++) {
      const shard = router.shardFor(COLLECTION, recordId(perm[rank]!));
      zipf.set(shard, (zipf.get(shard) ?? 0) + p[rank]!);
      uniform.set(shard, (uniform.get(shard) ?? 0) + 1 / MODEL_RECORDS);
    }
    return { shards, zipfianMaxShare: Math.max(...zipf.values()), uniformMaxShare: Math.max(...uniform.values()) };
  });
}
