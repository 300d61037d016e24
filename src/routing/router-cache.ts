/**
 * Routers shared by everything in one isolate. Building a router sorts every
 * ring point (shards × virtual nodes, up to RING_POINT_COUNT_MAX), and every
 * shard of a table needs the same one to check key ownership: without
 * sharing, a resharding to N shards built N identical rings of N × 1024
 * points (seen: to 1,024 shards, minutes of CPU on one local workerd, where
 * every object shares the isolate). A router is a pure function of its
 * table, so one per table is kept here, at most ROUTERS_CACHED_MAX, the
 * least recently used dropped first.
 */
import { createShardRouter, type RoutingTable, type ShardRouter } from "./router.js";

/** Routers kept per isolate: the tables a resharding names (two) for a few databases. */
export const ROUTERS_CACHED_MAX = 8;

const routers = new Map<string, ShardRouter>();

/** The router of `table`, built once per isolate. Throws RangeError for an invalid table, as createShardRouter does. */
export function sharedShardRouter(table: RoutingTable): ShardRouter {
  const key = `${table.version}|${table.virtualNodesPerShard}|${table.shards.join(",")}`;
  const cached = routers.get(key);
  if (cached !== undefined) {
    routers.delete(key);
    routers.set(key, cached);
    return cached;
  }
  const router = createShardRouter(table);
  routers.set(key, router);
  while (routers.size > ROUTERS_CACHED_MAX) routers.delete(routers.keys().next().value!);
  return router;
}
