/**
 * UnchangedReads (src/storage/unchanged-reads.ts): a fact is read once and
 * kept while SQLite's change counter stands still, and read again after
 * any row change: inserts, updates, deletes, changes made by triggers,
 * changes of a transaction that rolled back, and FTS5 writes.
 */
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { UnchangedReads } from "../../../src/storage/unchanged-reads.js";

function database() {
  const db = new DatabaseSync(":memory:");
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
  db.exec("CREATE TABLE queued (id INTEGER PRIMARY KEY)");
  db.exec("CREATE TRIGGER q AFTER UPDATE ON t BEGIN INSERT OR IGNORE INTO queued (id) VALUES (new.id); END");
  db.exec("CREATE VIRTUAL TABLE f USING fts5(c)");
  const sql = { exec: (query: string, ...bindings: unknown[]) => ({ toArray: () => db.prepare(query).all(...(bindings as never[])) as never[] }) };
  return { db, sql };
}

/** How many times `read` ran over a sync and a get. */
function reader(reads: UnchangedReads, sql: ReturnType<typeof database>["sql"], read: () => number): () => number {
  return () => {
    reads.sync(sql);
    return reads.get("count", read);
  };
}

describe("UnchangedReads", () => {
  it("keeps a fact while no row changes, and reads it again after each kind of change", () => {
    const { db, sql } = database();
    const reads = new UnchangedReads();
    let readCount = 0;
    const count = () => {
      readCount++;
      return (db.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n;
    };
    const get = reader(reads, sql, count);
    expect(get()).toBe(0);
    expect(get()).toBe(0);
    // A read-only statement changes nothing.
    db.prepare("SELECT * FROM t").all();
    expect(get()).toBe(0);
    expect(readCount).toBe(1);

    db.exec("INSERT INTO t (id, v) VALUES (1, 'a')");
    expect(get()).toBe(1);
    expect(readCount).toBe(2);

    db.exec("UPDATE t SET v = 'b' WHERE id = 1");
    get();
    expect(readCount).toBe(3);

    // An UPDATE that matches no row changes nothing.
    db.exec("UPDATE t SET v = 'c' WHERE id = 99");
    get();
    expect(readCount).toBe(3);

    db.exec("DELETE FROM t WHERE id = 1");
    expect(get()).toBe(0);
    expect(readCount).toBe(4);

    // A transaction that rolled back leaves the counter moved: the fact is read again (and is still true).
    db.exec("BEGIN");
    db.exec("INSERT INTO t (id, v) VALUES (2, 'x')");
    db.exec("ROLLBACK");
    expect(get()).toBe(0);
    expect(readCount).toBe(5);

    // FTS5 writes count.
    db.exec("INSERT INTO f (rowid, c) VALUES (1, 'word')");
    get();
    expect(readCount).toBe(6);
  });

  it("sees rows changed by a trigger as changes", () => {
    const { db, sql } = database();
    db.exec("INSERT INTO t (id, v) VALUES (1, 'a')");
    const reads = new UnchangedReads();
    const queued = () => (db.prepare("SELECT count(*) AS n FROM queued").get() as { n: number }).n;
    reads.sync(sql);
    expect(reads.get("queued", queued)).toBe(0);
    db.exec("UPDATE t SET v = 'b' WHERE id = 1");
    reads.sync(sql);
    expect(reads.get("queued", queued)).toBe(1);
  });

  it("does not see a table created or dropped: forget() drops the facts then", () => {
    const { db, sql } = database();
    const reads = new UnchangedReads();
    const exists = () => (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'later'").get() as { n: number }).n;
    reads.sync(sql);
    expect(reads.get("exists", exists)).toBe(0);
    db.exec("CREATE TABLE later (x)");
    reads.sync(sql);
    // Schema is not counted (the documented caveat)...
    expect(reads.get("exists", exists)).toBe(0);
    // ...so code that creates a table calls forget().
    reads.forget();
    reads.sync(sql);
    expect(reads.get("exists", exists)).toBe(1);
  });
});
