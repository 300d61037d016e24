/**
 * The order of a query's documents, as the server sorts them, so that a
 * listener can keep `docs` in query order while changes arrive one by one.
 * The server's order (docs/queries.md, "Order of mixed types"): missing <
 * null < false < true < numbers < strings (by code point) < arrays < maps;
 * arrays tie with arrays and maps with maps; later sort keys, then the
 * document id in the direction of the last sort key, break ties. Pure.
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { DocumentSnapshot } from "./documents.js";

/** One sort key of a query, as QueryBuilder.sort() records it. */
export interface SortKey {
  /** A field path: dotted segments, each a name or a `backquoted` name. */
  field: string;
  descending: boolean;
}

/** A comparator of documents in the order of `keys` (the id alone when there are none). */
export function documentOrder(keys: readonly SortKey[]): (a: DocumentSnapshot, b: DocumentSnapshot) => number {
  const paths = keys.map((k) => ({ path: splitFieldPath(k.field), sign: k.descending ? -1 : 1 }));
  const idSign = keys.length > 0 && keys[keys.length - 1]!.descending ? -1 : 1;
  return (a, b) => {
    for (const { path, sign } of paths) {
      const c = compareValues(valueAt(a.data, path), valueAt(b.data, path));
      if (c !== 0) return sign * c;
    }
    return idSign * compareCodePoints(a.id, b.id);
  };
}

/** Splits a field path at the dots outside backquotes; quotes are dropped (the server refuses sorting on names with escapes). */
export function splitFieldPath(field: string): string[] {
  const segments: string[] = [];
  let current = "";
  let quoted = false;
  for (const ch of field) {
    if (ch === "`") quoted = !quoted;
    else if (ch === "." && !quoted) {
      segments.push(current);
      current = "";
    } else current += ch;
  }
  segments.push(current);
  return segments;
}

function valueAt(data: JsonObject, path: readonly string[]): JsonValue | undefined {
  let value: JsonValue | undefined = data;
  for (const segment of path) {
    if (value === null || typeof value !== "object" || Array.isArray(value) || !Object.hasOwn(value, segment)) return undefined;
    value = value[segment];
  }
  return value;
}

/** The rank of a value's type in the server's order. */
function rank(value: JsonValue | undefined): number {
  if (value === undefined) return 0;
  if (value === null) return 1;
  if (value === false) return 2;
  if (value === true) return 3;
  if (typeof value === "number") return 4;
  if (typeof value === "string") return 5;
  return Array.isArray(value) ? 6 : 7;
}

/** Compares two values in the server's order: negative, zero or positive. */
export function compareValues(a: JsonValue | undefined, b: JsonValue | undefined): number {
  const byRank = rank(a) - rank(b);
  if (byRank !== 0) return byRank;
  if (typeof a === "number" && typeof b === "number") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "string" && typeof b === "string") return compareCodePoints(a, b);
  // Same rank and not a number or string: equal booleans, nulls, missing,
  // or arrays / maps, which tie within their rank.
  return 0;
}

/**
 * Compares strings by Unicode code point, as the server does; `<` on
 * JavaScript strings compares UTF-16 code units, which puts U+10000 and
 * above before U+E000..U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const x = a[Symbol.iterator]();
  const y = b[Symbol.iterator]();
  for (;;) {
    const p = x.next();
    const q = y.next();
    if (p.done === true || q.done === true) return (p.done === true ? 0 : 1) - (q.done === true ? 0 : 1);
    const c = p.value.codePointAt(0)! - q.value.codePointAt(0)!;
    if (c !== 0) return c;
  }
}
