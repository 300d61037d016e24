/**
 * A test-only way to run the query executor over N real shard Durable
 * Objects: a router over shards named `<name>-shard-<i>` (their own DOs, so
 * clusters of 1, 3 and 8 shards coexist in one test file) reached through
 * Workers RPC exactly as the Worker reaches its shards. The production path
 * (RPC -> services -> routed shards) is unchanged and tested separately.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { env } from "cloudflare:test";
import type { QueryShards } from "../../src/query/executor.js";
import type { IndexSpec } from "../../src/query/indexes.js";
import { createShardRouter } from "../../src/routing/router.js";
import { shardStub } from "../../src/shards/shard-client.js";
import { untilUnblocked } from "../../src/sync/intent-resolver.js";
import type { ShardWrite } from "../../src/storage/types.js";

export interface StubCluster {
  readonly shards: QueryShards;
  put(collection: string, docs: ReadonlyArray<{ id: string; data: JsonObject }>): Promise<void>;
  createIndex(spec: IndexSpec): Promise<void>;
}

/** N shard DOs behind a router of their own. */
export function stubCluster(name: string, count: number): StubCluster {
  const table = { version: 1, shards: Array.from({ length: count }, (_, i) => `${name}-shard-${i}`), virtualNodesPerShard: 64 };
  const router = createShardRouter(table);
  return {
    shards: {
      shards: table.shards,
      routingVersion: table.version,
      shardFor: (c, id) => router.shardFor(c, id),
      // No transactions run in these clusters, so nothing is ever Blocked;
      // the production path resolves locks (src/services/query-shards.ts).
      query: (shard, req) => untilUnblocked(env, shard, () => shardStub(env, shard).query(req)),
      aggregate: (shard, req) => untilUnblocked(env, shard, () => shardStub(env, shard).aggregate(req)),
    },
    async createIndex(spec) {
      await Promise.all(table.shards.map((shard) => shardStub(env, shard).createIndex(spec)));
    },
    async put(collection, docs) {
      const byShard = new Map<string, ShardWrite[]>();
      for (const d of docs) {
        const shard = router.shardFor(collection, d.id);
        byShard.set(shard, [...(byShard.get(shard) ?? []), { op: "set", collection, id: d.id, data: d.data }]);
      }
      await Promise.all(
        [...byShard].map(async ([shard, writes]) => {
          const outcome = await shardStub(env, shard).write(writes);
          if (!outcome.ok) throw new Error(outcome.message);
        }),
      );
    },
  };
}
