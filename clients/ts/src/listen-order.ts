/**
 * The order of a query's documents, as the server sorts them, so that a
 * listener can keep `docs` in query order while changes arrive one by one.
 * The server's order (docs/queries.md, "Order of mixed types", and the
 * contract's Value): missing < null < false < true < numbers (integers and
 * doubles compare as numbers, exactly) < timestamps < strings (by code
 * point) < bytes (unsigned, byte by byte) < references (collection, then
 * id) < geo points (latitude, then longitude) < arrays < maps; arrays tie
 * with arrays and maps with maps; later sort keys, then the document id in
 * the direction of the last sort key, break ties. Pure.
 *
 * The order reads each document's exact form (orderForm), never the one the
 * user sees: the client's options make that one lossy (`timestamps: "date"`
 * keeps milliseconds, so two instants a microsecond apart would tie and
 * fall back to the id; `values: "json"` turns integers into the nearest
 * double, timestamps, bytes and references into text and geo points into
 * maps), and a lossy value sorts where the server does not put it.
 */
import type { Document as WireDocument } from "./gen/impossibledb/v1/document_pb.js";
import { DocumentReference } from "./DocumentReference.js";
import { GeoPoint } from "./geo-point.js";
import { Timestamp } from "./timestamp.js";
import { decodeFields, type DocumentData, type TypedValue, type ValueDecoder } from "./value-codec.js";

/** One sort key of a query, as QueryBuilder.sort() records it. */
export interface SortKey {
  /** A field path: dotted segments, each a name or a `backquoted` name. */
  field: string;
  descending: boolean;
}

/** What the order reads of a document: its id and its fields, exact (orderForm). */
export interface Ordered {
  id: string;
  data: DocumentData;
}

/**
 * A wire document's fields as the order must read them, exact whatever the
 * client's options: its typed fields (when it has any) with timestamps as
 * Timestamps (microseconds) and integers as bigints, else its JSON data
 * (which then holds only JSON values, exact as doubles). `shown` is the
 * data decoded with the client's options; it is returned as it is when
 * those options lose nothing, so the usual client decodes once.
 */
export function orderForm(doc: WireDocument, decoder: ValueDecoder, shown: DocumentData): DocumentData {
  if (Object.keys(doc.fields).length === 0) return doc.data ?? {};
  if (decoder.timestamps === "timestamp" && decoder.values === "typed") return shown;
  return decodeFields(doc.fields, { timestamps: "timestamp", values: "typed", reference: decoder.reference });
}

/** A comparator of documents (in their exact form, orderForm) in the order of `keys` (the id alone when there are none). */
export function documentOrder(keys: readonly SortKey[]): (a: Ordered, b: Ordered) => number {
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

function valueAt(data: DocumentData, path: readonly string[]): TypedValue | undefined {
  let value: TypedValue | undefined = data;
  for (const segment of path) {
    if (!isMap(value) || !Object.hasOwn(value, segment)) return undefined;
    value = value[segment];
  }
  return value;
}

function isMap(value: TypedValue | undefined): value is DocumentData {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** The rank of a value's type in the server's order. */
function rank(value: TypedValue | undefined): number {
  if (value === undefined) return 0;
  if (value === null) return 1;
  if (value === false) return 2;
  if (value === true) return 3;
  if (typeof value === "number" || typeof value === "bigint") return 4;
  if (value instanceof Date || value instanceof Timestamp) return 5;
  if (typeof value === "string") return 6;
  if (value instanceof Uint8Array) return 7;
  if (value instanceof DocumentReference) return 8;
  if (value instanceof GeoPoint) return 9;
  return Array.isArray(value) ? 10 : 11;
}

/** Compares two values in the server's order: negative, zero or positive. */
export function compareValues(a: TypedValue | undefined, b: TypedValue | undefined): number {
  const byRank = rank(a) - rank(b);
  if (byRank !== 0) return byRank;
  if ((typeof a === "number" || typeof a === "bigint") && (typeof b === "number" || typeof b === "bigint")) return compareNumbers(a, b);
  if ((a instanceof Date || a instanceof Timestamp) && (b instanceof Date || b instanceof Timestamp)) return compareBigints(micros(a), micros(b));
  if (typeof a === "string" && typeof b === "string") return compareCodePoints(a, b);
  if (a instanceof Uint8Array && b instanceof Uint8Array) return compareBytes(a, b);
  if (a instanceof DocumentReference && b instanceof DocumentReference) return compareCodePoints(a.collection.name, b.collection.name) || compareCodePoints(a.id, b.id);
  if (a instanceof GeoPoint && b instanceof GeoPoint) return Math.sign(a.latitude - b.latitude) || Math.sign(a.longitude - b.longitude);
  // Same rank and none of the above: equal booleans, nulls, missing,
  // or arrays / maps, which tie within their rank.
  return 0;
}

/** Compares an integer and a double exactly (a double past 2^53 is a whole number; converting it to bigint loses nothing). */
function compareNumbers(a: number | bigint, b: number | bigint): number {
  if (typeof a === "number" && typeof b === "number") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "bigint" && typeof b === "bigint") return compareBigints(a, b);
  if (typeof a === "number") return -compareNumbers(b, a);
  // a is a bigint, b a finite double (the wire carries no others).
  const whole = Math.trunc(b as number);
  const byWhole = compareBigints(a, BigInt(whole));
  if (byWhole !== 0) return byWhole;
  const fraction = (b as number) - whole;
  return fraction > 0 ? -1 : fraction < 0 ? 1 : 0;
}

function compareBigints(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function micros(t: Date | Timestamp): bigint {
  return t instanceof Timestamp ? t.toMicros() : BigInt(t.getTime()) * 1000n;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
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
