/**
 * Split advice: the shard count a database's shards suggest, from their
 * sizes and recent request rates. Pure; GetResharding reports it and the
 * operator decides (StartResharding). The thresholds are named limits:
 * half of what one Durable Object holds and serves (10 GB, about 1,000
 * requests/s: Cloudflare's Durable Objects limits), so there is room to act.
 */
import { SHARD_COUNT_MAX } from "./limits.js";

/** A shard's size and load, as ListShards reports them. */
export interface ShardLoad {
  readonly id: string;
  readonly dataBytes: number;
  readonly requestsPerSecond: number;
}

/** The thresholds a shard is measured against. */
export interface SplitThresholds {
  /** Bytes of document data past which a shard should split. */
  readonly shardBytesMax: number;
  /** Recent requests per second past which a shard should split. */
  readonly requestsPerSecondMax: number;
}

export { SPLIT_REQUESTS_PER_SECOND_MAX, SPLIT_SHARD_BYTES_MAX } from "./limits.js";

/** The advice: a shard count and why. */
export interface ShardCountAdvice {
  readonly suggestedShardCount: number;
  readonly currentShardCount: number;
  readonly reason: string;
}

/**
 * Suggests a shard count: when the busiest or largest shard is past a
 * threshold, enough shards that the same load spread evenly would put each
 * at or under it (consistent hashing spreads keys evenly: routing/README.md),
 * at most SHARD_COUNT_MAX; otherwise the current count.
 */
export function adviseShardCount(shards: readonly ShardLoad[], thresholds: SplitThresholds): ShardCountAdvice {
  const current = shards.length;
  if (current === 0) return { suggestedShardCount: 0, currentShardCount: 0, reason: "the database has no shards" };
  const largest = shards.reduce((a, b) => (b.dataBytes > a.dataBytes ? b : a));
  const busiest = shards.reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a));
  const totalBytes = shards.reduce((sum, s) => sum + s.dataBytes, 0);
  const totalRate = shards.reduce((sum, s) => sum + s.requestsPerSecond, 0);
  const bySize = Math.ceil(totalBytes / thresholds.shardBytesMax);
  const byRate = Math.ceil(totalRate / thresholds.requestsPerSecondMax);
  const reasons: string[] = [];
  if (largest.dataBytes > thresholds.shardBytesMax) {
    reasons.push(`${largest.id} holds ${largest.dataBytes} bytes, over the split threshold of ${thresholds.shardBytesMax}`);
  }
  if (busiest.requestsPerSecond > thresholds.requestsPerSecondMax) {
    reasons.push(`${busiest.id} serves ${busiest.requestsPerSecond.toFixed(1)} requests/s, over the split threshold of ${thresholds.requestsPerSecondMax}`);
  }
  if (reasons.length === 0) return { suggestedShardCount: current, currentShardCount: current, reason: "no shard is past a split threshold" };
  const suggested = Math.min(SHARD_COUNT_MAX, Math.max(current + 1, bySize + 1, byRate + 1));
  return { suggestedShardCount: suggested, currentShardCount: current, reason: reasons.join("; ") };
}
