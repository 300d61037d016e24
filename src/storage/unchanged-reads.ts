/**
 * Facts a shard read from its SQLite database, kept in memory for as long
 * as the database has not changed since: the next request that needs one
 * reads SQLite's change counter instead of the fact.
 *
 * The counter is SQLite's `total_changes()`: the rows inserted, updated or
 * deleted by the connection since it opened, trigger programs included,
 * never decreasing (https://sqlite.org/c3ref/total_changes.html). A Durable
 * Object has one connection and is the only writer of its database, so
 * while the counter stands still no row of it changed: not a document, not
 * the search catalog, its queue or its totals (kept by triggers and by the
 * indexing code, all DML), not a write intent. A rolled-back transaction
 * leaves the counter moved, which only drops facts that were still true.
 * What the counter does not see is schema: CREATE and DROP TABLE, and rows
 * deleted by REPLACE conflict resolution (the insert beside them counts),
 * so code that creates or drops tables outside a path that also changes
 * rows calls `forget()`.
 *
 * Reading the counter is one statement, about the cost of `SELECT 1`
 * (10-35 µs in workerd, 2026-12-02); a search's index state took 60-150 µs
 * per shard (bench:profile, rare term over 100,000 documents), so a search
 * between writes saves most of it on every shard.
 *
 * Facts are read outside transactions (a search reads its index state
 * before any write of its own), so a fact never comes from a transaction
 * that then rolls back.
 */
import type { SqlValue } from "../query/sql-value.js";

/** The SQL surface the cache needs (a Durable Object's SqlStorage, node:sqlite in tests). */
export interface ChangeCountingSql {
  exec<T extends Record<string, SqlValue>>(query: string, ...bindings: unknown[]): { toArray(): T[] };
}

/** Facts keyed by name, valid while `total_changes()` stays at the value they were read at. */
export class UnchangedReads {
  private readAt = -1;
  private readonly facts = new Map<string, unknown>();

  /**
   * Reads the change counter and drops every fact when the database has
   * changed since they were read. Call once at the start of a request,
   * before `get`.
   */
  sync(sql: ChangeCountingSql): void {
    const changes = sql.exec<{ n: number }>("SELECT total_changes() AS n").toArray()[0]!.n;
    if (changes !== this.readAt) {
      this.facts.clear();
      this.readAt = changes;
    }
  }

  /** The fact named `key`, read with `read` when not kept (call `sync` first in the request). */
  get<T>(key: string, read: () => T): T {
    if (this.facts.has(key)) return this.facts.get(key) as T;
    const value = read();
    this.facts.set(key, value);
    return value;
  }

  /** Drops every fact: after a change the counter does not see (a table created or dropped). */
  forget(): void {
    this.facts.clear();
    this.readAt = -1;
  }
}
