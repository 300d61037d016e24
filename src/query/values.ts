/**
 * The one total order over document values, shared by every shard's SQL,
 * the Worker's merge and the test oracle.
 *
 * Types rank as in Firestore: missing (0) < null (1) < booleans (2) <
 * numbers (3: doubles and integers, compared as numbers) < timestamps (4)
 * < strings (5) < bytes (6) < references (7) < geo points (8) < arrays (9)
 * < maps (10). Inside a rank: false < true; numbers by exact value;
 * strings by Unicode code point (which is the UTF-8 byte order SQLite's
 * BINARY collation uses); the other typed values by their order keys
 * (values/order-key.ts). All arrays tie with each other, and so do all
 * maps: a sort key is (rank, scalar) and arrays and maps have no scalar,
 * so later sort keys and finally the document id decide between them.
 *
 * Equality for filters is deep: arrays element by element, maps by their
 * entries whatever their order; an integer equals the double of the same
 * value.
 */
import type { JsonValue } from "@bufbuild/protobuf";
import { integerKey, typedKey } from "../values/order-key.js";
import { typedLeafOf, type TypedLeaf } from "../values/typed.js";
import { numberKey } from "./number-key.js";

/** Where a value's type sorts. */
export const RANK_MISSING = 0;
export const RANK_NULL = 1;
export const RANK_BOOLEAN = 2;
export const RANK_NUMBER = 3;
export const RANK_TIMESTAMP = 4;
export const RANK_STRING = 5;
export const RANK_BYTES = 6;
export const RANK_REFERENCE = 7;
export const RANK_GEO_POINT = 8;
export const RANK_ARRAY = 9;
export const RANK_MAP = 10;

/** The rank of each typed leaf's type. */
export const TYPED_RANK: Readonly<Record<TypedLeaf["type"], number>> = {
  integer: RANK_NUMBER,
  timestamp: RANK_TIMESTAMP,
  bytes: RANK_BYTES,
  reference: RANK_REFERENCE,
  geoPoint: RANK_GEO_POINT,
};

/**
 * A value's sort key: its type rank and, for scalars, the value SQL
 * compares: booleans as 0/1, doubles (and integers a double holds exactly)
 * as numbers, strings as themselves, other integers and typed values as
 * their order keys (text).
 */
export type SortKey = readonly [rank: number, scalar: number | string | null];

/** The rank of a value; `undefined` stands for a missing field. */
export function rankOf(value: JsonValue | undefined): number {
  if (value === undefined) return RANK_MISSING;
  if (value === null) return RANK_NULL;
  switch (typeof value) {
    case "boolean":
      return RANK_BOOLEAN;
    case "number":
      return RANK_NUMBER;
    case "string":
      return RANK_STRING;
    default: {
      if (Array.isArray(value)) return RANK_ARRAY;
      const leaf = typedLeafOf(value);
      return leaf === null ? RANK_MAP : TYPED_RANK[leaf.type];
    }
  }
}

/** The sort key of a value, as the shard's SQL computes it. */
export function sortKeyOf(value: JsonValue | undefined): SortKey {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const leaf = typedLeafOf(value);
    if (leaf === null) return [RANK_MAP, null];
    if (leaf.type === "integer") {
      const d = Number(leaf.value);
      return [RANK_NUMBER, BigInt(d) === leaf.value ? d : integerKey(leaf.value)];
    }
    return [TYPED_RANK[leaf.type], typedKey(leaf)];
  }
  const rank = rankOf(value);
  if (rank === RANK_BOOLEAN) return [rank, value === true ? 1 : 0];
  if (rank === RANK_NUMBER || rank === RANK_STRING) return [rank, value as number | string];
  return [rank, null];
}

/** Compares two sort keys: negative, zero or positive. */
export function compareSortKeys(a: SortKey, b: SortKey): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  const x = a[1];
  const y = b[1];
  if (x === null || y === null) return 0;
  if (typeof x === "number" && typeof y === "number") return x < y ? -1 : x > y ? 1 : 0;
  // A number meeting an integer's order key compares by keys (order-key.ts).
  if (a[0] === RANK_NUMBER) return compareStrings(typeof x === "number" ? numberKey(x) : x, typeof y === "number" ? numberKey(y) : y);
  return compareStrings(String(x), String(y));
}

/** Compares two values in the total order (arrays and maps tie within their rank). */
export function compareValues(a: JsonValue | undefined, b: JsonValue | undefined): number {
  return compareSortKeys(sortKeyOf(a), sortKeyOf(b));
}

/**
 * Compares strings by code point. JavaScript's `<` compares UTF-16 code
 * units, which disagrees with code point order when a surrogate pair meets
 * a character from U+E000 to U+FFFF; shifting the surrogates above that
 * range fixes it.
 */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointWeight(x) - codePointWeight(y);
  }
  return a.length - b.length;
}

function codePointWeight(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}

/** Deep equality: same rank, equal scalars, equal elements, equal entries in any order. */
export function valuesEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  // One sort key each (a typed value is decoded once): scalars are equal exactly when their keys are.
  const ka = sortKeyOf(a);
  const kb = sortKeyOf(b);
  const rank = ka[0];
  if (rank !== kb[0]) return false;
  if (rank !== RANK_ARRAY && rank !== RANK_MAP) return compareSortKeys(ka, kb) === 0;
  if (rank === RANK_ARRAY) {
    const x = a as JsonValue[];
    const y = b as JsonValue[];
    return x.length === y.length && x.every((v, i) => valuesEqual(v, y[i]));
  }
  const x = a as Record<string, JsonValue>;
  const y = b as Record<string, JsonValue>;
  const keys = Object.keys(x);
  return keys.length === Object.keys(y).length && keys.every((k) => Object.hasOwn(y, k) && valuesEqual(x[k], y[k]));
}

/**
 * A value's canonical JSON: map keys sorted by code point, so values that
 * are `valuesEqual` have the same text. Used to group and to break ties
 * between group keys.
 */
export function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const leaf = typedLeafOf(value);
    // Other typed values have one stored spelling per value (values/typed.ts), so it serves.
    if (leaf !== null) return leaf.type === "integer" ? integerCanonical(leaf.value) : JSON.stringify(value);
    const keys = Object.keys(value).sort(compareStrings);
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k]!)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * An integer's canonical text: the JSON of the double of equal value when
 * a double holds it exactly (so 5 and 5.0 share a text), else its decimal
 * digits marked with "n", which no double's JSON can be (a double's
 * shortest JSON, such as 9223372036854775000, can spell the digits of an
 * integer it does not equal).
 */
function integerCanonical(i: bigint): string {
  const d = Number(i);
  return BigInt(d) === i ? JSON.stringify(d) : `${i}n`;
}
