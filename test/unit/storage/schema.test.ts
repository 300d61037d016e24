import { describe, expect, it } from "vitest";
import { DatabaseSync } from "node:sqlite";
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
