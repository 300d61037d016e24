/**
 * The Worker's copy of the routing table, with its version. It is refreshed
 * from the shard manager when it is older than ROUTING_CACHE_TTL_MS;
 * concurrent requests share one refresh.
 */
import type { Env } from "../env.js";
import { ROUTING_CACHE_TTL_MS } from "../limits.js";
import { SHARD_MANAGER_NAME, type ShardManager } from "../objects/ShardManager.js";
import type { Remote } from "./shard-client.js";
import { createShardRouter, type ShardRouter } from "../routing/router.js";
import type { PublishedRoutingTable } from "../routing/routing-table-store.js";

/** A router together with the table it was built from. */
export interface CachedRouting {
  readonly router: ShardRouter;
  readonly table: PublishedRoutingTable;
}

let cached: { routing: CachedRouting; fetchedAtMs: number } | null = null;
let inflight: Promise<CachedRouting> | null = null;

/** The current routing, from the cache when it is fresh enough. */
export async function currentRouting(env: Env): Promise<CachedRouting> {
  const now = Date.now();
  if (cached !== null && now - cached.fetchedAtMs < ROUTING_CACHE_TTL_MS) return cached.routing;
  inflight ??= refresh(env).finally(() => {
    inflight = null;
  });
  return inflight;
}

async function refresh(env: Env): Promise<CachedRouting> {
  const stub = env.SHARD_MANAGER.get(env.SHARD_MANAGER.idFromName(SHARD_MANAGER_NAME)) as unknown as Remote<Pick<ShardManager, "routingTable">>;
  const table = await stub.routingTable();
  // A cached table is never replaced by an older one, even if an old answer
  // arrives late.
  if (cached !== null && cached.routing.table.version > table.version) return cached.routing;
  const routing = cached !== null && cached.routing.table.version === table.version ? cached.routing : { router: createShardRouter(table), table };
  cached = { routing, fetchedAtMs: Date.now() };
  return routing;
}
