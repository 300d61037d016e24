/**
 * The Worker's copies of routing tables, one per database, with their
 * versions. A database's copy is refreshed from its shard manager when it is
 * older than ROUTING_CACHE_TTL_MS, by each request that finds it so: requests
 * never await each other's refreshes (see docs/architecture.md, "Requests
 * never await each other"). At most DATABASE_CACHE_ENTRIES_MAX databases'
 * tables are kept; the one first cached longest ago is dropped first.
 */
import { databaseStub, scopeOf } from "../databases/database-env.js";
import { objectName } from "../databases/names.js";
import type { Env } from "../env.js";
import { DATABASE_CACHE_ENTRIES_MAX, ROUTING_CACHE_TTL_MS, ROUTING_MOVED_BACKOFF_MS, ROUTING_MOVED_BACKOFF_MS_MAX, ROUTING_MOVED_WAIT_MS_MAX } from "../limits.js";
import { FailureError } from "../errors.js";
import { SHARD_MANAGER_NAME, type ShardManager } from "../objects/ShardManager.js";
import { retryIdempotent, type Remote } from "./shard-client.js";
import type { ShardRouter } from "../routing/router.js";
import { sharedShardRouter } from "../routing/router-cache.js";
import type { PublishedRoutingTable } from "../routing/routing-table-store.js";

/** A router together with the table it was built from. */
export interface CachedRouting {
  readonly router: ShardRouter;
  readonly table: PublishedRoutingTable;
}

interface Entry {
  cached: { routing: CachedRouting; fetchedAtMs: number } | null;
}

/** Keyed by the name of the database's shard manager (which names its incarnation too); in the order first cached. */
const entries = new Map<string, Entry>();

/** The current routing of `env`'s database, from the cache when it is fresh enough. */
export async function currentRouting(env: Env): Promise<CachedRouting> {
  const key = objectName(scopeOf(env), SHARD_MANAGER_NAME);
  let entry = entries.get(key);
  if (entry === undefined) {
    entry = { cached: null };
    entries.set(key, entry);
    while (entries.size > DATABASE_CACHE_ENTRIES_MAX) entries.delete(entries.keys().next().value!);
  }
  const now = Date.now();
  if (entry.cached !== null && now - entry.cached.fetchedAtMs < ROUTING_CACHE_TTL_MS) return entry.cached.routing;
  return refresh(env, entry);
}

/** The version of `env`'s database's table this isolate holds, or null (no I/O). */
export function cachedRoutingVersion(env: Env): number | null {
  return entries.get(objectName(scopeOf(env), SHARD_MANAGER_NAME))?.cached?.routing.table.version ?? null;
}

/**
 * The routing of `env`'s database fresh from its shard manager, whatever
 * the cache's age (for the admin RPCs that report the table: after a
 * resharding they must not show the old one). Updates the cache.
 */
export async function freshRouting(env: Env): Promise<CachedRouting> {
  const key = objectName(scopeOf(env), SHARD_MANAGER_NAME);
  let entry = entries.get(key);
  if (entry === undefined) {
    entry = { cached: null };
    entries.set(key, entry);
  }
  return refresh(env, entry);
}

/**
 * Waits until `env`'s database's routing table is at version `epoch` or
 * newer (a shard said it serves that epoch: routing/shard-epoch.ts), asking
 * the shard manager again with backoff; gives up after
 * ROUTING_MOVED_WAIT_MS_MAX with UNAVAILABLE. The shard manager publishes a
 * new table only once every shard has cut over, so the wait lasts about as
 * long as the cutover. An epoch the cache already has (a shard still
 * draining) waits one backoff step and returns.
 */
export async function awaitRouting(env: Env, epoch: number, attempt: number): Promise<CachedRouting> {
  const key = objectName(scopeOf(env), SHARD_MANAGER_NAME);
  const backoffMs = Math.min(ROUTING_MOVED_BACKOFF_MS * 2 ** attempt, ROUTING_MOVED_BACKOFF_MS_MAX);
  const startMs = Date.now();
  for (let round = 0; ; round++) {
    const entry = entries.get(key);
    if (entry?.cached != null && entry.cached.routing.table.version >= epoch) {
      await sleep(backoffMs);
      return entry.cached.routing;
    }
    if (round > 0) await sleep(backoffMs * 2 ** Math.min(round - 1, 4));
    if (Date.now() - startMs > ROUTING_MOVED_WAIT_MS_MAX) {
      throw new FailureError("unavailable", `the database is being resharded and routing epoch ${epoch} was not published within ${ROUTING_MOVED_WAIT_MS_MAX} ms; retry the call`);
    }
    const e = entry ?? { cached: null };
    if (entry === undefined) entries.set(key, e);
    const routing = await refresh(env, e);
    if (routing.table.version >= epoch) return routing;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Forgets the cached table of `env`'s database (after it was deleted). */
export function forgetRouting(env: Env): void {
  entries.delete(objectName(scopeOf(env), SHARD_MANAGER_NAME));
}

async function refresh(env: Env, entry: Entry): Promise<CachedRouting> {
  // A read: retried when the shard manager was reset (it restarts at once).
  const table = await retryIdempotent(() => databaseStub<Remote<Pick<ShardManager, "routingTable">>>(env, env.SHARD_MANAGER, SHARD_MANAGER_NAME).routingTable());
  const { cached } = entry;
  // A cached table is never replaced by an older one, even if an old answer
  // arrives late.
  if (cached !== null && cached.routing.table.version > table.version) return cached.routing;
  const routing = cached !== null && cached.routing.table.version === table.version ? cached.routing : { router: sharedShardRouter(table), table };
  entry.cached = { routing, fetchedAtMs: Date.now() };
  return routing;
}
