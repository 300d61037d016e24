import { describe, expect, it } from "vitest";
import { DatabaseSync } from "node:sqlite";
import fc from "fast-check";
import { DOCUMENT_MIGRATIONS, appliedMigrationCount, migrate, type Migration, type MigrationSql } from "../../../src/storage/schema.js";

/** node:sqlite behind the slice of SqlStorage that migrations use. */
function memorySql(): MigrationSql & { db: DatabaseSync } {
  const db = new DatabaseSync(":memory:");
  return {
    db,
    exec(query: string, ...bindings: unknown[]) {
      const statement = db.prepare(query);
      const rows = /^\s*(SELECT|WITH)/i.test(query) ? statement.all(...(bindings as never[])) : (statement.run(...(bindings as never[])), []);
      return { toArray: () => rows };
    },
  };
}

describe("migrations", () => {
  it("apply once, in order, per component", () => {
    const sql = memorySql();
    expect(migrate(sql, "documents", DOCUMENT_MIGRATIONS)).toBe(DOCUMENT_MIGRATIONS.length);
    expect(migrate(sql, "documents", DOCUMENT_MIGRATIONS)).toBe(DOCUMENT_MIGRATIONS.length);
    const extra: Migration[] = [{ version: 1, description: "t", statements: ["CREATE TABLE t (x INTEGER)"] }];
    migrate(sql, "other", extra);
    expect(appliedMigrationCount(sql)).toBe(DOCUMENT_MIGRATIONS.length + 1);
    const tables = sql.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(["documents", "shard_sequence", "schema_migrations", "t"]));
  });

  it("a later migration is applied to an object that has the earlier ones", () => {
    const sql = memorySql();
    const v1: Migration[] = [{ version: 1, description: "a", statements: ["CREATE TABLE a (x INTEGER)"] }];
    migrate(sql, "c", v1);
    const v2 = [...v1, { version: 2, description: "b", statements: ["CREATE TABLE b (x INTEGER)"] }];
    expect(migrate(sql, "c", v2)).toBe(2);
    expect(sql.db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'b'").get()).toEqual({ n: 1 });
  });

  it("refuses misnumbered lists and a database newer than the code", () => {
    const sql = memorySql();
    expect(() => migrate(sql, "c", [{ version: 2, description: "x", statements: [] }])).toThrow(/says version 2/);
    migrate(sql, "c", [
      { version: 1, description: "a", statements: [] },
      { version: 2, description: "b", statements: [] },
    ]);
    expect(() => migrate(sql, "c", [{ version: 1, description: "a", statements: [] }])).toThrow(/newer than this code/);
  });
});

describe("the collection_stats migration", () => {
  it("counts the documents stored before it, then keeps the counts through inserts, rewrites and deletes", () => {
    const sql = memorySql();
    migrate(sql, "documents", DOCUMENT_MIGRATIONS.slice(0, 2));
    const insert = sql.db.prepare(
      "INSERT INTO documents (collection, id, data, version, create_time_ms, update_time_ms, size_bytes) VALUES (?, ?, '{}', 1, 0, 0, 2) ON CONFLICT (collection, id) DO UPDATE SET version = version + 1",
    );
    for (const [c, id] of [["a", "1"], ["a", "2"], ["b", "1"]] as const) insert.run(c, id);
    migrate(sql, "documents", DOCUMENT_MIGRATIONS);
    const counts = () => sql.db.prepare("SELECT collection, document_count AS n FROM collection_stats ORDER BY collection").all().map((r) => ({ ...r }));
    expect(counts()).toEqual([{ collection: "a", n: 2 }, { collection: "b", n: 1 }]);
    insert.run("a", "2"); // a rewrite of an existing document is not a new one
    insert.run("c", "1");
    expect(counts()).toEqual([{ collection: "a", n: 2 }, { collection: "b", n: 1 }, { collection: "c", n: 1 }]);
    sql.db.prepare("DELETE FROM documents WHERE collection = 'b'").run();
    sql.db.prepare("DELETE FROM documents WHERE collection = 'a' AND id = 'missing'").run();
    expect(counts()).toEqual([{ collection: "a", n: 2 }, { collection: "c", n: 1 }]);
  });
});

describe("the collection_stats.data_bytes migration", () => {
  /** What a scan of the documents says, per collection: the totals the triggers must keep. */
  const scanned = (sql: ReturnType<typeof memorySql>) =>
    sql.db.prepare("SELECT collection, COUNT(*) AS n, SUM(size_bytes) AS bytes FROM documents GROUP BY collection ORDER BY collection").all().map((r) => ({ ...r }));
  const kept = (sql: ReturnType<typeof memorySql>) =>
    sql.db.prepare("SELECT collection, document_count AS n, data_bytes AS bytes FROM collection_stats ORDER BY collection").all().map((r) => ({ ...r }));

  it("sums the bytes stored before it, then keeps counts and bytes equal to a scan through inserts, resizes, rewrites and deletes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom("ins", "del", "delAll"), fc.constantFrom("a", "b", "c"), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 9_000 })), { maxLength: 60 }),
        fc.integer({ min: 0, max: 20 }),
        (ops, before) => {
          const sql = memorySql();
          migrate(sql, "documents", DOCUMENT_MIGRATIONS.slice(0, 3));
          // The upsert shape of the write path (document-row.ts): ON CONFLICT DO UPDATE, so UPDATE triggers fire.
          const upsert = sql.db.prepare(
            "INSERT INTO documents (collection, id, data, version, create_time_ms, update_time_ms, size_bytes) VALUES (?, ?, '{}', 1, 0, 0, ?) ON CONFLICT (collection, id) DO UPDATE SET size_bytes = excluded.size_bytes, version = version + 1",
          );
          for (let i = 0; i < before; i++) upsert.run(i % 2 === 0 ? "a" : "b", `old${i}`, 10 + i);
          migrate(sql, "documents", DOCUMENT_MIGRATIONS);
          expect(kept(sql)).toEqual(scanned(sql));
          for (const [op, collection, id, bytes] of ops) {
            if (op === "ins") upsert.run(collection, `k${id}`, bytes);
            else if (op === "del") sql.db.prepare("DELETE FROM documents WHERE collection = ? AND id = ?").run(collection, `k${id}`);
            else sql.db.prepare("DELETE FROM documents WHERE collection = ?").run(collection);
            expect(kept(sql)).toEqual(scanned(sql));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
