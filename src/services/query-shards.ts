/**
 * The query engine's view of the real shards: the current routing table
 * and typed calls to shard Durable Objects (reads, so retried when the
 * platform says a call may be). The executor takes this interface, so
 * tests can hand it shards of their own.
 */
import type { HandlerContext } from "@connectrpc/connect";
import type { Env } from "../env.js";
import { QUERY_DEADLINE_MS } from "../limits.js";
import type { QueryShards } from "../query/executor.js";
import type { SearchShards } from "../search/search-executor.js";
import type { Deadline } from "../query/fan-out.js";
import { currentRouting } from "../shards/routing-cache.js";
import { readFromShard } from "../shards/shard-client.js";
import { untilUnblocked } from "../sync/intent-resolver.js";
import { SearchStatsCache } from "../search/stats-cache.js";

/**
 * This isolate's cache of searches' global statistics (search/stats-cache.ts):
 * each entry is checked against every shard's index generation before its
 * scores are used, so sharing it between requests never changes a ranking.
 */
const searchStatsCache = new SearchStatsCache();

/** The shards of the current routing table. */
export async function routedQueryShards(env: Env): Promise<QueryShards> {
  const { router, table } = await currentRouting(env);
  return {
    shards: table.shards,
    routingVersion: table.version,
    shardFor: (collection, id) => router.shardFor(collection, id),
    // A shard answers Blocked while a transaction holds write intents in the
    // collection; the locks are resolved and the page asked for again.
    query: (shard, req) => untilUnblocked(env, shard, () => readFromShard(env, shard, (s) => s.query(req, table.version))),
    aggregate: (shard, req) => untilUnblocked(env, shard, () => readFromShard(env, shard, (s) => s.aggregate(req, table.version))),
    documentVersion: (shard, ref, version) => readFromShard(env, shard, (s) => s.documentVersion(ref, version)),
  };
}

/** The shards of the current routing table, as search sees them (src/search/search-executor.ts). */
export async function routedSearchShards(env: Env): Promise<SearchShards> {
  const { table } = await currentRouting(env);
  return {
    shards: table.shards,
    routingVersion: table.version,
    searchStats: (shard, req) => untilUnblocked(env, shard, () => readFromShard(env, shard, (s) => s.searchStats(req, table.version))),
    search: (shard, req) => untilUnblocked(env, shard, () => readFromShard(env, shard, (s) => s.search(req, table.version))),
    statsCache: searchStatsCache,
  };
}

/** The deadline of a query call: QUERY_DEADLINE_MS, or the caller's own deadline when sooner. */
export function queryDeadline(ctx: HandlerContext): Deadline {
  const now = () => Date.now();
  const callerMs = ctx.timeoutMs();
  return { atMs: now() + Math.min(QUERY_DEADLINE_MS, callerMs ?? Infinity), now };
}
