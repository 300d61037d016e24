/**
 * In-memory shards for geo search tests: one node:sqlite database per
 * shard with the shards' real schema (documents, snapshots, search), the
 * real search index lifecycle and maintenance, and the real shard-side geo
 * search, reached through `GeoShards` as the Worker reaches Durable
 * Objects. Requests and replies are structured-cloned, as Workers RPC
 * would. Each write drains the search queue as StorageObject does.
 */
import { DatabaseSync } from "node:sqlite";
import type { JsonObject } from "@bufbuild/protobuf";
import { createInitialRoutingTable, createShardRouter } from "../../../../src/routing/router.js";
import { DOCUMENT_MIGRATIONS, migrate } from "../../../../src/storage/schema.js";
import { UPSERT_DOCUMENT_SQL, upsertDocumentParams } from "../../../../src/storage/document-row.js";
import { SNAPSHOT_MIGRATIONS } from "../../../../src/sync/snapshot-schema.js";
import { SEARCH_MIGRATIONS, type SearchIndexSpec } from "../../../../src/search/catalog.js";
import type { GeoShards } from "../../../../src/search/geo-executor.js";
import { maintainSearch } from "../../../../src/search/search-maintenance.js";
import { runShardGeoSearch } from "../../../../src/search/shard-geo.js";
import { backfillShardSearchIndex, createShardSearchIndex } from "../../../../src/search/shard-index.js";
import { nodeSql } from "../../query/memory-shards.js";

export interface GeoCluster {
  readonly shards: GeoShards;
  put(id: string, data: JsonObject): void;
  remove(id: string): void;
  /** Creates the search index on every shard and backfills it to READY. */
  createSearchIndex(spec: SearchIndexSpec): void;
  /** Runs `statement` with `params` on every shard's SQL (test set-up). */
  execEverywhere(statement: string, ...params: Array<string | number>): void;
  close(): void;
}

/** A cluster of `count` in-memory shards holding one collection. */
export function geoCluster(count: number, collection: string): GeoCluster {
  const table = createInitialRoutingTable(count, 64);
  const router = createShardRouter(table);
  const dbs = new Map(
    table.shards.map((id) => {
      const db = new DatabaseSync(":memory:");
      const sql = nodeSql(db);
      migrate(sql, "documents", DOCUMENT_MIGRATIONS);
      migrate(sql, "snapshots", SNAPSHOT_MIGRATIONS);
      migrate(sql, "search", SEARCH_MIGRATIONS);
      return [id, { db, sql }] as const;
    }),
  );
  let version = 0;
  const shardOf = (id: string) => dbs.get(router.shardFor(collection, id))!;
  const drain = (s: ReturnType<typeof shardOf>) => {
    while (maintainSearch(s.sql, 512).more);
  };
  return {
    shards: {
      shards: table.shards,
      routingVersion: table.version,
      geoSearch: async (shard, req) => structuredClone(runShardGeoSearch(dbs.get(shard)!.sql, structuredClone(req))),
    },
    put(id, data) {
      version++;
      const json = JSON.stringify(data);
      const s = shardOf(id);
      s.db.prepare(UPSERT_DOCUMENT_SQL).run(...upsertDocumentParams({ collection, id, json, data, version, createTimeMs: 0, updateTimeMs: 0, bytes: json.length, commitTs: version }));
      drain(s);
    },
    remove(id) {
      const s = shardOf(id);
      s.db.prepare("DELETE FROM documents WHERE collection = ? AND id = ?").run(collection, id);
      drain(s);
    },
    createSearchIndex(spec) {
      for (const { sql } of dbs.values()) {
        let step = createShardSearchIndex(sql, spec);
        while (step.ok && step.state !== "ready") step = backfillShardSearchIndex(sql, spec.collection);
        if (!step.ok) throw new Error(step.message);
      }
    },
    execEverywhere(statement, ...params) {
      for (const { sql } of dbs.values()) sql.exec(statement, ...params);
    },
    close() {
      for (const { db } of dbs.values()) db.close();
    },
  };
}
