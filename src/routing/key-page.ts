/**
 * Pages of a shard table in key order, strictly after a cursor: the keyset
 * walk that resharding's copy (over `documents`), its checksum point (over
 * `moving_keys`) and a target's verification (over its copies) all take,
 * one bounded page per step.
 */
import type { RowCursor } from "./resharding-plan.js";

/** The tables walked by key; a closed set, since a table name cannot be a bound parameter. All have (collection, id) as their primary key, so a page is an index range scan. */
export type KeyedTable = "documents" | "moving_keys" | "staged_documents";

/** A document row as a verification hashes it. */
export interface KeyedRow extends Record<string, SqlStorageValue> {
  collection: string;
  id: string;
  version: number;
  data: string;
}

/** At most `rowsMax` keys `{collection, id}` of `table` in (collection, id) order, strictly after `after` (from the first key when null). */
export function keyPage(sql: SqlStorage, table: KeyedTable, after: RowCursor | null, rowsMax: number): Array<{ collection: string; id: string }> {
  return page<{ collection: string; id: string }>(sql, table, "collection, id", after, rowsMax);
}

/** The same walk over document rows, with the version and stored JSON of each. */
export function rowPage(sql: SqlStorage, table: "documents" | "staged_documents", after: RowCursor | null, rowsMax: number): KeyedRow[] {
  return page<KeyedRow>(sql, table, "collection, id, version, data", after, rowsMax);
}

function page<T extends Record<string, SqlStorageValue>>(sql: SqlStorage, table: KeyedTable, columns: string, after: RowCursor | null, rowsMax: number): T[] {
  const cursor =
    after === null
      ? sql.exec<T>(`SELECT ${columns} FROM ${table} ORDER BY collection, id LIMIT ?`, rowsMax)
      : sql.exec<T>(`SELECT ${columns} FROM ${table} WHERE (collection, id) > (?, ?) ORDER BY collection, id LIMIT ?`, after.collection, after.id, rowsMax);
  return cursor.toArray();
}
