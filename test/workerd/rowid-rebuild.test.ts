/**
 * The migrations that rebuild WITHOUT ROWID tables holding documents as
 * rowid tables (src/storage/rowid-rebuild.ts), run on workerd's own SQLite
 * (its authorizer, its ALTER TABLE) in a blank object: a shard's and a
 * coordinator's tables as the code before left them, then every migration.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DOCUMENT_MIGRATIONS, migrate, type Migration } from "../../src/storage/schema.js";
import { rebuildAsRowidTable } from "../../src/storage/rowid-rebuild.js";
import { SNAPSHOT_MIGRATIONS } from "../../src/sync/snapshot-schema.js";
import { TRANSACTION_MIGRATIONS } from "../../src/sync/lockManager.js";
import { COORDINATOR_MIGRATIONS } from "../../src/sync/coordinator-store.js";
import { INDEX_MIGRATIONS, createIndexSql, type IndexSpec } from "../../src/query/indexes.js";
import { SEARCH_MIGRATIONS } from "../../src/search/catalog.js";

/** Runs `body` on the SQLite of a fresh object that keeps none of these tables itself. */
function inBlankObject<T>(name: string, body: (sql: SqlStorage) => T): Promise<T> {
  const stub = env.API_KEYS.get(env.API_KEYS.idFromName(`rowid-rebuild-${name}`));
  return runInDurableObject(stub, (_o, state) => state.storage.transactionSync(() => body(state.storage.sql)));
}

/** A shard's components in StorageObject's order, each with how many of its migrations to apply (all when undefined). */
function migrateShard(sql: SqlStorage, upTo: Partial<Record<string, number>> = {}): void {
  const lists: Array<[string, readonly Migration[]]> = [
    ["documents", DOCUMENT_MIGRATIONS],
    ["snapshots", SNAPSHOT_MIGRATIONS],
    ["transactions", TRANSACTION_MIGRATIONS],
    ["indexes", INDEX_MIGRATIONS],
    ["search", SEARCH_MIGRATIONS],
  ];
  for (const [name, list] of lists) migrate(sql, name, list.slice(0, upTo[name] ?? list.length));
}

/** Every table, index and trigger of the shard's schema, as SQLite stores them (automatic indexes have no statement). */
function schemaOf(sql: SqlStorage): unknown[] {
  return sql.exec("SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'api_key%' AND name <> 'schema_migrations' ORDER BY type, name").toArray();
}

const SPEC: IndexSpec = { collection: "c", id: "i0000000000000001", fields: [{ path: ["n"], descending: true }] };
/** The index statement as it was while `documents` had no rowid (no id column). */
const OLD_INDEX_SQL = createIndexSql(SPEC).replace(", id) WHERE", ") WHERE");

/** A shard as the code before the rebuild left it: 400 documents of about 1 KB, an index, a search index's triggers armed. */
function makeOldShard(sql: SqlStorage): void {
  migrateShard(sql, { documents: 4, snapshots: 1, transactions: 5, indexes: 3 });
  sql.exec(OLD_INDEX_SQL);
  sql.exec("INSERT INTO query_indexes (collection, index_id, fields, sql_name) VALUES ('c', ?, ?, ?)", SPEC.id, JSON.stringify([["n", true]]), "qidx__c__i0000000000000001");
  sql.exec("INSERT INTO search_indexes (collection, spec, state) VALUES ('c', '{}', 'ready')");
  for (let i = 0; i < 400; i++) {
    const data = JSON.stringify({ n: i % 37, text: "x".repeat(1_000) });
    sql.exec(
      "INSERT INTO documents (collection, id, data, version, create_time_ms, update_time_ms, size_bytes, commit_ts) VALUES ('c', ?, ?, ?, 1, 2, ?, ?)",
      `d${String(i).padStart(4, "0")}`, data, i + 1, data.length, i * 10,
    );
  }
  sql.exec("INSERT INTO doc_history (collection, id, valid_from_ts, valid_to_ts, data, version, create_time_ms, update_time_ms) VALUES ('c', 'd0001', 1, 2, ?, 1, 1, 1)", "y".repeat(2_000));
  sql.exec("DELETE FROM search_pending");
}

const insertDoc = (sql: SqlStorage, id: string, version: number) =>
  sql.exec("INSERT INTO documents (collection, id, data, version, create_time_ms, update_time_ms, size_bytes) VALUES ('c', ?, '{}', ?, 0, 0, 2)", id, version);

describe("rebuilding WITHOUT ROWID tables as rowid tables", () => {
  it("keeps every document, index, trigger and constraint of a shard, in less than half the space", async () => {
    const fresh = await inBlankObject("fresh", (sql) => {
      migrateShard(sql);
      sql.exec(createIndexSql(SPEC).replace("IF NOT EXISTS ", ""));
      return schemaOf(sql);
    });
    const checked = await inBlankObject("old", (sql) => {
      makeOldShard(sql);
      const rowsBefore = sql.exec("SELECT * FROM documents ORDER BY collection, id").toArray();
      const bytesBefore = sql.databaseSize;
      migrateShard(sql);
      // Dropping the old table leaves its pages free for later writes; the used pages are what count.
      return { rowsBefore, bytesBefore, bytesAfter: sql.databaseSize, schema: schemaOf(sql), rowsAfter: sql.exec("SELECT * FROM documents ORDER BY collection, id").toArray() };
    });
    // The same schema as a shard created today, object for object.
    expect(checked.schema).toEqual(fresh);
    for (const entry of checked.schema as Array<{ type: string; name: string; sql: string }>) {
      if (["documents", "doc_history", "tx_intents", "tx_participations", "stored_text_pieces"].includes(entry.name)) expect(entry.sql, entry.name).not.toMatch(/WITHOUT ROWID/i);
    }
    expect(checked.rowsAfter).toEqual(checked.rowsBefore);
    // Documents of about 1 KB spilled one overflow page each; now they share pages.
    expect(checked.bytesAfter).toBeLessThan(checked.bytesBefore / 2);

    await inBlankObject("old", (sql) => {
      expect(sql.exec("SELECT length(data) AS n FROM doc_history").toArray()).toEqual([{ n: 2_000 }]);
      // The index serves the order to its last key: no sort step left for the ties.
      const order = createIndexSql(SPEC).match(/\(collection, (.*), id\) WHERE/)![1];
      const plan = sql.exec<{ detail: string }>(`EXPLAIN QUERY PLAN SELECT id FROM documents INDEXED BY "qidx__c__i0000000000000001" WHERE collection = 'c' ORDER BY ${order}, id`).toArray();
      expect(plan.map((p) => p.detail).join("; ")).not.toMatch(/TEMP B-TREE/);
      // The primary key is still unique, the checks still hold, and the triggers still fire.
      expect(() => insertDoc(sql, "d0001", 1)).toThrow(/UNIQUE/);
      expect(() => insertDoc(sql, "new", 0)).toThrow(/CHECK/);
      insertDoc(sql, "new", 1);
      expect(sql.exec("SELECT document_count AS n FROM collection_stats WHERE collection = 'c'").toArray()).toEqual([{ n: 401 }]);
      expect(sql.exec("SELECT id FROM search_pending").toArray()).toEqual([{ id: "new" }]);
    });
  });

  it("rebuilds a coordinator's records and votes", async () => {
    await inBlankObject("coordinator", (sql) => {
      migrate(sql, "coordinator", COORDINATOR_MIGRATIONS.slice(0, 3));
      sql.exec("INSERT INTO tx_records (tx_id, state, plan, due_ms) VALUES ('t1', 'staging', ?, 5)", "p".repeat(3_000));
      sql.exec("INSERT INTO tx_votes (tx_id, participant, vote) VALUES ('t1', 'shard-0', ?)", "v".repeat(3_000));
      migrate(sql, "coordinator", COORDINATOR_MIGRATIONS);
      expect(sql.exec("SELECT tx_id, state, length(plan) AS n, due_ms FROM tx_records").toArray()).toEqual([{ tx_id: "t1", state: "staging", n: 3_000, due_ms: 5 }]);
      expect(sql.exec("SELECT length(vote) AS n FROM tx_votes WHERE tx_id = 't1' AND participant = 'shard-0'").toArray()).toEqual([{ n: 3_000 }]);
      expect(sql.exec("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'tx_records' AND sql IS NOT NULL").toArray()).toEqual([{ name: "tx_records_by_due" }]);
      expect(sql.exec("SELECT sql FROM sqlite_schema WHERE name = 'tx_records'").one().sql).not.toMatch(/WITHOUT ROWID/i);
      expect(() => sql.exec("INSERT INTO tx_records (tx_id, state, plan, due_ms) VALUES ('t1', 'x', NULL, 1)")).toThrow(/UNIQUE/);
    });
  });

  it("changes nothing on a rowid table or past ROWID_REBUILD_ROWS_MAX rows, and keeps a trigger elsewhere that names the rebuilt table", async () => {
    await inBlankObject("trigger", (sql) => {
      sql.exec("CREATE TABLE a (k TEXT PRIMARY KEY, v TEXT)");
      sql.exec("CREATE TABLE b (k TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID");
      sql.exec("CREATE TRIGGER a_counts AFTER INSERT ON a BEGIN INSERT INTO b (k, n) VALUES (new.k, 1) ON CONFLICT (k) DO UPDATE SET n = n + 1; END");
      // Past the bound the table stays as it is, and works the same.
      sql.exec("INSERT INTO b (k, n) VALUES ('p', 1), ('q', 1)");
      expect(rebuildAsRowidTable(sql, "b", 1)).toBe(false);
      expect(sql.exec("SELECT sql FROM sqlite_schema WHERE name = 'b'").one().sql).toMatch(/WITHOUT ROWID$/);
      expect(rebuildAsRowidTable(sql, "b", 2)).toBe(true);
      expect(sql.exec("SELECT sql FROM sqlite_schema WHERE name = 'b'").one().sql).not.toMatch(/WITHOUT ROWID/);
      sql.exec("DELETE FROM b");
      expect(rebuildAsRowidTable(sql, "b")).toBe(false);
      expect(rebuildAsRowidTable(sql, "a")).toBe(false);
      sql.exec("INSERT INTO a (k, v) VALUES ('x', '1')");
      sql.exec("INSERT OR REPLACE INTO a (k, v) VALUES ('x', '2')");
      expect(sql.exec("SELECT k, n FROM b").toArray()).toEqual([{ k: "x", n: 2 }]);
      expect(() => rebuildAsRowidTable(sql, "missing")).toThrow(/no table missing/);
    });
  });
});
