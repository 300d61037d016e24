/**
 * The catalog of databases, as the `default` database's shard manager
 * stores it: one row per database, `default` included (written by the
 * migration; it always exists). Pure functions of SqlStorage, so the object
 * stays thin.
 */
import type { Migration } from "../storage/schema.js";
import type { Placement } from "../routing/localityManager.js";
import { DEFAULT_DATABASE_ID, type DatabaseScope } from "./names.js";

/** Where a database is in its life. */
export type DatabaseState = "active" | "deleting";

/** A database as the catalog holds it. */
export interface DatabaseRecord extends DatabaseScope {
  /** When it was created, ms since the epoch; 0 for `default`. */
  readonly createTimeMs: number;
  readonly state: DatabaseState;
}

/** The catalog's migrations (component `catalog`). */
export const CATALOG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "databases: id, incarnation uid, placement, create time, state",
    statements: [
      `CREATE TABLE databases (
         id TEXT PRIMARY KEY,
         uid TEXT NOT NULL,
         location_hint TEXT NOT NULL,
         jurisdiction TEXT NOT NULL,
         create_time_ms INTEGER NOT NULL,
         state TEXT NOT NULL CHECK (state IN ('active', 'deleting'))
       ) WITHOUT ROWID`,
      // `default` has a row so that listing is one ordered scan; it is never
      // deleted and not counted against DATABASES_MAX.
      "INSERT INTO databases (id, uid, location_hint, jurisdiction, create_time_ms, state) VALUES ('default', '', '', '', 0, 'active')",
    ],
  },
];

interface Row extends Record<string, SqlStorageValue> {
  id: string;
  uid: string;
  location_hint: string;
  jurisdiction: string;
  create_time_ms: number;
  state: string;
}

function fromRow(row: Row): DatabaseRecord {
  const placement: Placement = {
    ...(row.location_hint !== "" ? { locationHint: row.location_hint as NonNullable<Placement["locationHint"]> } : {}),
    ...(row.jurisdiction !== "" ? { jurisdiction: row.jurisdiction as NonNullable<Placement["jurisdiction"]> } : {}),
  };
  return { id: row.id, uid: row.uid, placement, createTimeMs: row.create_time_ms, state: row.state as DatabaseState };
}

/** The stored record of database `id`, or null. */
export function findDatabase(sql: SqlStorage, id: string): DatabaseRecord | null {
  const row = sql.exec<Row>("SELECT * FROM databases WHERE id = ?", id).toArray()[0];
  return row === undefined ? null : fromRow(row);
}

/** How many databases there are besides `default`. */
export function databaseCount(sql: SqlStorage): number {
  return sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM databases WHERE id != ?", DEFAULT_DATABASE_ID).one().n;
}

/** Stores a new record; the caller has checked that the id is free. */
export function insertDatabase(sql: SqlStorage, record: DatabaseRecord): void {
  sql.exec(
    "INSERT INTO databases (id, uid, location_hint, jurisdiction, create_time_ms, state) VALUES (?, ?, ?, ?, ?, ?)",
    record.id, record.uid, record.placement.locationHint ?? "", record.placement.jurisdiction ?? "", record.createTimeMs, record.state,
  );
}

/** Marks database `id` as being deleted. */
export function markDeleting(sql: SqlStorage, id: string): void {
  sql.exec("UPDATE databases SET state = 'deleting' WHERE id = ?", id);
}

/** Removes the record of incarnation `uid` of database `id` (a newer incarnation is left alone). */
export function removeDatabase(sql: SqlStorage, id: string, uid: string): void {
  sql.exec("DELETE FROM databases WHERE id = ? AND uid = ?", id, uid);
}

/** Up to `limit` stored records with ids after `afterId` (all when null), in id order. */
export function listDatabases(sql: SqlStorage, afterId: string | null, limit: number): DatabaseRecord[] {
  return sql.exec<Row>("SELECT * FROM databases WHERE id > ? ORDER BY id LIMIT ?", afterId ?? "", limit).toArray().map(fromRow);
}
