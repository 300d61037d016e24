/**
 * One page of a shard table's document keys in key order, strictly after a
 * cursor: the keyset walk that resharding's copy (over `documents`) and its
 * checksum point (over `moving_keys`) both take, one bounded page per step.
 */
import type { RowCursor } from "./resharding-plan.js";

/** The tables walked by key; a closed set, since a table name cannot be a bound parameter. */
export type KeyedTable = "documents" | "moving_keys";

/**
 * Returns at most `rowsMax` keys `{collection, id}` of `table`, ordered by
 * (collection, id), strictly after `after` (from the first key when null).
 * Both tables have (collection, id) as their primary key, so the page is an
 * index range scan.
 */
export function keyPage(sql: SqlStorage, table: KeyedTable, after: RowCursor | null, rowsMax: number): Array<{ collection: string; id: string }> {
  const cursor =
    after === null
      ? sql.exec<{ collection: string; id: string }>(`SELECT collection, id FROM ${table} ORDER BY collection, id LIMIT ?`, rowsMax)
      : sql.exec<{ collection: string; id: string }>(
          `SELECT collection, id FROM ${table} WHERE (collection, id) > (?, ?) ORDER BY collection, id LIMIT ?`,
          after.collection, after.id, rowsMax,
        );
  return cursor.toArray();
}
