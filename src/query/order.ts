/**
 * Sort orders and the cursors that resume them. A query sorts by its
 * order keys and then by the document id, which follows the direction of
 * the last key (ascending when there is none), so an order is total and a
 * descending query can walk an index backwards.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import type { FieldPath } from "../validation/field-path.js";
import { fieldValue } from "./evaluate.js";
import { compareSortKeys, compareStrings, sortKeyOf, type SortKey } from "./values.js";

/** One sort key of a query. */
export interface OrderKey {
  readonly path: FieldPath;
  readonly descending: boolean;
}

/** Where a page ended: the sort keys and id of the last document returned. */
export interface QueryCursor {
  readonly keys: readonly SortKey[];
  readonly id: string;
}

/** True when the id tie-breaker runs descending. */
export function idDescending(order: readonly OrderKey[]): boolean {
  return order.length > 0 && order[order.length - 1]!.descending;
}

/** The cursor position of a document under `order`. */
export function cursorOf(doc: { id: string; data: JsonObject }, order: readonly OrderKey[]): QueryCursor {
  return { keys: order.map((k) => sortKeyOf(fieldValue(doc, k.path))), id: doc.id };
}

/** Compares two cursor positions under `order`. */
export function compareCursors(a: QueryCursor, b: QueryCursor, order: readonly OrderKey[]): number {
  for (let i = 0; i < order.length; i++) {
    const c = compareSortKeys(a.keys[i]!, b.keys[i]!);
    if (c !== 0) return order[i]!.descending ? -c : c;
  }
  const c = compareStrings(a.id, b.id);
  return idDescending(order) ? -c : c;
}
