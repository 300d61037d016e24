/**
 * AdminService: databases (`database-admin.ts`), the routing table, shard
 * statistics, exports, secondary indexes (`index-admin.ts`), this
 * isolate's request metrics, API keys (`api-key-admin.ts`), and security
 * rules (`rules-admin.ts`).
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { MethodMetricsSchema, RoutingTableSchema, ShardStatsSchema, type AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { HASH_FUNCTION_NAME } from "../routing/hash.js";
import { envOf } from "../server/context.js";
import type { Metrics } from "../server/metrics.js";
import { freshRouting } from "../shards/routing-cache.js";
import { readFromShard } from "../shards/shard-client.js";
import { PAGE_SIZE_DEFAULT } from "../limits.js";
import { collectionFrom } from "./convert.js";
import { createDatabaseAdmin } from "./database-admin.js";
import { createReshardingAdmin } from "./resharding-admin.js";
import { createSearchAdmin } from "./search-admin.js";
import { listPage } from "./list-documents.js";
import { rerouted } from "../server/routing-retry.js";
import { createApiKey, listApiKeys, revokeApiKey } from "./api-key-admin.js";
import { getRules, setRules } from "./rules-admin.js";
import { createIndexEverywhere, deleteIndexEverywhere, getIndexEverywhere, listIndexesEverywhere } from "./index-admin.js";

/** What AdminService reads besides the Env. */
export interface AdminServiceOptions {
  /** The isolate's request metrics, which GetMetrics returns. */
  readonly metrics: Metrics;
}

/** Creates the AdminService implementation. */
export function createAdminService(options: AdminServiceOptions): ServiceImpl<typeof AdminService> {
  return {
    ...createDatabaseAdmin(),
    ...createReshardingAdmin(),
    ...createSearchAdmin(),

    async getRoutingTable(_req, ctx) {
      const { table } = await freshRouting(envOf(ctx));
      return {
        table: create(RoutingTableSchema, {
          version: BigInt(table.version),
          shards: table.shards.map((id) => ({ id })),
          virtualNodesPerShard: table.virtualNodesPerShard,
          hashFunction: HASH_FUNCTION_NAME,
          updateTime: timestampFromMs(table.updateTimeMs),
        }),
      };
    },

    async listShards(_req, ctx) {
      const env = envOf(ctx);
      const { table } = await freshRouting(env);
      const stats = await Promise.all(table.shards.map((id) => readFromShard(env, id, (s) => s.stats())));
      return {
        routingVersion: BigInt(table.version),
        shards: stats.map((s, i) =>
          create(ShardStatsSchema, {
            id: table.shards[i]!,
            documentCount: BigInt(s.documentCount),
            dataBytes: BigInt(s.dataBytes),
            schemaVersion: s.schemaVersion,
            requestsPerSecond: s.requestsPerSecond,
          }),
        ),
      };
    },

    async *exportDocuments(req, ctx) {
      const env = envOf(ctx);
      const collection = collectionFrom(req.collection);
      const batchSize = req.batchSize || PAGE_SIZE_DEFAULT;
      let token = "";
      do {
        // A page may meet a resharding's cutover: it is routed again (a page
        // token carries the position, not shards), so the export goes on.
        const page = await rerouted(env, () => listPage(env, collection, batchSize, token));
        if (page.documents.length > 0) yield { documents: page.documents };
        token = page.nextPageToken;
      } while (token !== "");
    },

    async createIndex(req, ctx) {
      return { index: await createIndexEverywhere(envOf(ctx), req.index) };
    },
    async getIndex(req, ctx) {
      return { index: await getIndexEverywhere(envOf(ctx), req.collection, req.id) };
    },
    async listIndexes(req, ctx) {
      return { indexes: await listIndexesEverywhere(envOf(ctx), req.collection) };
    },
    getMetrics() {
      return {
        methods: options.metrics.snapshot().map((m) =>
          create(MethodMetricsSchema, {
            method: m.method,
            database: m.database,
            count: BigInt(m.count),
            countByCode: Object.fromEntries(Object.entries(m.countByCode).map(([code, n]) => [code, BigInt(n)])),
            latencyP50Ms: m.p50Ms,
            latencyP99Ms: m.p99Ms,
            latencyMaxMs: m.maxMs,
          }),
        ),
        startTime: timestampFromMs(options.metrics.startTimeMs),
      };
    },
    async deleteIndex(req, ctx) {
      await deleteIndexEverywhere(envOf(ctx), req.collection, req.id);
      return {};
    },
    createApiKey: (req, ctx) => createApiKey(req, ctx),
    listApiKeys: (req, ctx) => listApiKeys(req, ctx),
    revokeApiKey: (req, ctx) => revokeApiKey(req, ctx),
    setRules: (req, ctx) => setRules(req, ctx),
    getRules: (_req, ctx) => getRules(ctx),
  };
}
