import type { ConsistentHashRing } from "../../../src/routing/consistentHash.js";

/** The key count the brief's movement and balance figures are stated for. */
export const KEY_COUNT = 100_000;

/** Distinct, realistic routing keys: what documents in one collection look like. */
export function sampleKeys(count: number, prefix = "users/user-"): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}

/** The owning shard of every key, in key order. */
export function ownersOf(ring: ConsistentHashRing, keys: readonly string[]): string[] {
  return keys.map((key) => ring.shardFor(key));
}

/** How many keys each shard owns, including shards that own none. */
export function loadsOf(shards: readonly string[], owners: readonly string[]): Map<string, number> {
  const loads = new Map<string, number>(shards.map((shard) => [shard, 0]));
  for (const owner of owners) loads.set(owner, (loads.get(owner) ?? 0) + 1);
  return loads;
}

/** The shard ids "shard-0" .. "shard-{count - 1}". */
export function shardIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `shard-${i}`);
}
