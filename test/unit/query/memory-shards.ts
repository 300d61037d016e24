/**
 * Shards for Node tests: one in-memory SQLite database (node:sqlite) per
 * shard, with the shards' real schema and the real shard-side query code,
 * reached through the same `QueryShards` interface the Worker uses. Every
 * request and reply is structured-cloned, as Workers RPC would.
 */
import { DatabaseSync } from "node:sqlite";
import type { JsonObject } from "@bufbuild/protobuf";
import { createInitialRoutingTable, createShardRouter } from "../../../src/routing/router.js";
import { DOCUMENT_MIGRATIONS, migrate } from "../../../src/storage/schema.js";
import { UPSERT_DOCUMENT_SQL, upsertDocumentParams } from "../../../src/storage/document-row.js";
import { SNAPSHOT_MIGRATIONS } from "../../../src/sync/snapshot-schema.js";
import { INDEX_MIGRATIONS, createIndex, type IndexSpec } from "../../../src/query/indexes.js";
import { runShardAggregation, runShardQuery, type ShardSql } from "../../../src/query/shard-query.js";
import type { QueryShards } from "../../../src/query/executor.js";
import { SEARCH_MIGRATIONS, type SearchIndexSpec } from "../../../src/search/catalog.js";
import { createShardSearchIndex } from "../../../src/search/shard-index.js";
import { runSearchStats, runShardSearch } from "../../../src/search/shard-search.js";
import type { SearchShards } from "../../../src/search/search-executor.js";
import type { SearchSql } from "../../../src/search/catalog.js";
import { VocabularyCache } from "../../../src/search/vocabulary-cache.js";

/** Adapts node:sqlite to the slice of SqlStorage the shard code uses (rowsRead counts rows stepped). */
export function nodeSql(db: DatabaseSync): ShardSql {
  return {
    exec(query: string, ...bindings: unknown[]) {
      const stmt = db.prepare(query);
      if (!/^\s*(SELECT|EXPLAIN|WITH)/i.test(query) && !/\bRETURNING\b/i.test(query)) {
        stmt.run(...(bindings as never[]));
        return { rowsRead: 0, toArray: () => [], [Symbol.iterator]: () => [][Symbol.iterator]() };
      }
      const it = stmt.iterate(...(bindings as never[]));
      let rowsRead = 0;
      const cursor = {
        get rowsRead() {
          return rowsRead;
        },
        [Symbol.iterator]() {
          return {
            next: () => {
              const r = it.next();
              if (!r.done) rowsRead++;
              return r;
            },
          };
        },
        one() {
          const rows = [...cursor];
          if (rows.length !== 1) throw new Error(`expected exactly one row, got ${rows.length}`);
          return rows[0];
        },
        toArray() {
          return [...cursor];
        },
      };
      return cursor as never;
    },
  };
}

export interface MemoryCluster {
  readonly shards: QueryShards;
  /** The same shards as search sees them (src/search/search-executor.ts). */
  readonly search: SearchShards;
  /** Creates (and backfills) a search index on every shard. */
  createSearchIndex(spec: SearchIndexSpec): void;
  /** The SQL of each shard, by shard id. */
  readonly sqlOf: (shard: string) => ShardSql;
  put(id: string, data: JsonObject): void;
  remove(id: string): void;
  createIndex(spec: IndexSpec): void;
  close(): void;
}

/** A cluster of `count` in-memory shards holding one collection. */
export function memoryCluster(count: number, collection: string): MemoryCluster {
  const table = createInitialRoutingTable(count, 64);
  const router = createShardRouter(table);
  const dbs = new Map(
    table.shards.map((id) => {
      const db = new DatabaseSync(":memory:");
      const sql = nodeSql(db);
      migrate(sql, "documents", DOCUMENT_MIGRATIONS);
      migrate(sql, "snapshots", SNAPSHOT_MIGRATIONS);
      migrate(sql, "indexes", INDEX_MIGRATIONS);
      migrate(sql, "search", SEARCH_MIGRATIONS);
      // Each shard keeps its vocabulary cache across calls, as a StorageObject does.
      return [id, { db, sql, vocabulary: new VocabularyCache() }] as const;
    }),
  );
  let version = 0;
  const shardOf = (id: string) => dbs.get(router.shardFor(collection, id))!;
  return {
    shards: {
      shards: table.shards,
      routingVersion: table.version,
      shardFor: (c, id) => router.shardFor(c, id),
      query: async (shard, req) => structuredClone(runShardQuery(dbs.get(shard)!.sql, structuredClone(req))),
      aggregate: async (shard, req) => structuredClone(runShardAggregation(dbs.get(shard)!.sql, structuredClone(req))),
    },
    search: {
      shards: table.shards,
      routingVersion: table.version,
      searchStats: async (shard, req) => structuredClone(runSearchStats(dbs.get(shard)!.sql as SearchSql, structuredClone(req), dbs.get(shard)!.vocabulary)),
      search: async (shard, req) => structuredClone(runShardSearch(dbs.get(shard)!.sql as SearchSql, structuredClone(req))),
    },
    createSearchIndex(spec) {
      for (const { sql } of dbs.values()) {
        let step = createShardSearchIndex(sql as SearchSql, spec);
        if (!step.ok) throw new Error(step.message);
        while (step.ok && step.state !== "ready") step = createShardSearchIndex(sql as SearchSql, spec);
      }
    },
    sqlOf: (shard) => dbs.get(shard)!.sql,
    put(id, data) {
      // The shards' own row statement, so the stored row (and its num_keys) is what a real shard stores.
      version++;
      const json = JSON.stringify(data);
      shardOf(id)
        .db.prepare(UPSERT_DOCUMENT_SQL)
        .run(...upsertDocumentParams({ collection, id, json, data, version, createTimeMs: 0, updateTimeMs: 0, bytes: new TextEncoder().encode(json).length, commitTs: version }));
    },
    remove(id) {
      shardOf(id).db.prepare("DELETE FROM documents WHERE collection = ? AND id = ?").run(collection, id);
    },
    createIndex(spec) {
      for (const { sql } of dbs.values()) createIndex(sql, spec);
    },
    close() {
      for (const { db } of dbs.values()) db.close();
    },
  };
}
