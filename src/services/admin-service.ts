/**
 * AdminService: the routing table, shard statistics, and exports. Index
 * management arrives with the query milestone and answers UNIMPLEMENTED
 * until then.
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { RoutingTableSchema, ShardStatsSchema, type AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { HASH_FUNCTION_NAME } from "../routing/hash.js";
import { envOf } from "../server/context.js";
import { currentRouting } from "../shards/routing-cache.js";
import { readFromShard } from "../shards/shard-client.js";
import { PAGE_SIZE_DEFAULT } from "../limits.js";
import { collectionFrom, toDocument } from "./convert.js";
import { listPage } from "./list-documents.js";
import { unimplemented } from "./unimplemented.js";

const INDEX_MILESTONE = "the query system (secondary indexes)";

/** Creates the AdminService implementation. */
export function createAdminService(): ServiceImpl<typeof AdminService> {
  return {
    async getRoutingTable(_req, ctx) {
      const { table } = await currentRouting(envOf(ctx));
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
      const { table } = await currentRouting(env);
      const stats = await Promise.all(table.shards.map((id) => readFromShard(env, id, (s) => s.stats())));
      return {
        routingVersion: BigInt(table.version),
        shards: stats.map((s, i) =>
          create(ShardStatsSchema, {
            id: table.shards[i]!,
            documentCount: BigInt(s.documentCount),
            dataBytes: BigInt(s.dataBytes),
            schemaVersion: s.schemaVersion,
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
        const page = await listPage(env, collection, batchSize, token);
        if (page.documents.length > 0) yield { documents: page.documents.map((d) => toDocument(d)) };
        token = page.nextPageToken;
      } while (token !== "");
    },

    createIndex: () => unimplemented("CreateIndex", INDEX_MILESTONE),
    getIndex: () => unimplemented("GetIndex", INDEX_MILESTONE),
    listIndexes: () => unimplemented("ListIndexes", INDEX_MILESTONE),
    deleteIndex: () => unimplemented("DeleteIndex", INDEX_MILESTONE),
  };
}
