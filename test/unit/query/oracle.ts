/**
 * The reference evaluator: the query semantics written the plain way, over
 * an array of documents, sharing no code with src/query. Property tests
 * compare the sharded engine with it exactly.
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";

export type OraclePath = readonly string[];
export type OracleExpr =
  | { kind: "and"; children: readonly OracleExpr[] }
  | { kind: "or"; children: readonly OracleExpr[] }
  | { kind: "not"; child: OracleExpr }
  | { kind: "compare"; path: OraclePath; op: "==" | "!=" | "<" | "<=" | ">" | ">="; value: JsonValue }
  | { kind: "in"; path: OraclePath; values: readonly JsonValue[]; negated: boolean }
  | { kind: "contains"; path: OraclePath; values: readonly JsonValue[] }
  | { kind: "exists"; path: OraclePath; present: boolean };

export interface OracleDoc {
  id: string;
  data: JsonObject;
}

export interface OracleOrder {
  path: OraclePath;
  descending: boolean;
}

const TYPE_ORDER = ["missing", "null", "boolean", "number", "timestamp", "string", "bytes", "reference", "geo", "array", "map"];

/**
 * Typed values as the engine stores them inside documents: an object whose
 * one key is a tag starting with U+0001 (src/values/typed.ts). The oracle
 * reads them its own way.
 */
type Typed =
  | { t: "int"; v: bigint }
  | { t: "timestamp"; micros: bigint }
  | { t: "bytes"; bytes: number[] }
  | { t: "reference"; collection: string; id: string }
  | { t: "geo"; lat: number; lng: number };

function typed(v: JsonValue | undefined): Typed | null {
  if (v === null || v === undefined || typeof v !== "object" || Array.isArray(v)) return null;
  const keys = Object.keys(v);
  if (keys.length !== 1 || !keys[0]!.startsWith("\u0001")) return null;
  const p = v[keys[0]!] as JsonValue;
  switch (keys[0]) {
    case "\u0001int":
      return { t: "int", v: BigInt(p as string) };
    case "\u0001ts": {
      const text = p as string; // YYYY-MM-DDTHH:MM:SS.ffffffZ
      return { t: "timestamp", micros: BigInt(Date.parse(text.slice(0, 19) + "Z")) * 1000n + BigInt(text.slice(20, 26)) };
    }
    case "\u0001bytes":
      return { t: "bytes", bytes: Array.from(atob(p as string), (c) => c.charCodeAt(0)) };
    case "\u0001ref":
      return { t: "reference", collection: (p as string[])[0]!, id: (p as string[])[1]! };
    case "\u0001geo":
      return { t: "geo", lat: (p as number[])[0]!, lng: (p as number[])[1]! };
  }
  throw new Error(`oracle: unknown tag ${keys[0]}`);
}

function typeOf(v: JsonValue | undefined): string {
  if (v === undefined) return "missing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  const t = typed(v);
  if (t !== null) return t.t === "int" ? "number" : t.t;
  if (typeof v === "object") return "map";
  return typeof v;
}

/** Exact comparison of two numbers, each a double or an int64. */
function compareNumbers(a: number | bigint, b: number | bigint): number {
  if (typeof a === "number" && typeof b === "number") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "number") return -compareNumbers(b, a);
  // a is an integer, b a finite double.
  const d = b as number;
  const floor = BigInt(Math.floor(d));
  if (a < floor) return -1;
  if (a > floor) return 1;
  return Number.isInteger(d) ? 0 : -1;
}

function numberOf(v: JsonValue): number | bigint {
  const t = typed(v);
  return t !== null && t.t === "int" ? t.v : (v as number);
}

function compareTyped(a: Typed, b: Typed): number {
  const sign = (x: number) => (x < 0 ? -1 : x > 0 ? 1 : 0);
  if (a.t === "timestamp" && b.t === "timestamp") return a.micros < b.micros ? -1 : a.micros > b.micros ? 1 : 0;
  if (a.t === "bytes" && b.t === "bytes") {
    for (let i = 0; i < Math.min(a.bytes.length, b.bytes.length); i++) if (a.bytes[i] !== b.bytes[i]) return a.bytes[i]! - b.bytes[i]!;
    return a.bytes.length - b.bytes.length;
  }
  if (a.t === "reference" && b.t === "reference") return oracleCompareStrings(a.collection, b.collection) || oracleCompareStrings(a.id, b.id);
  if (a.t === "geo" && b.t === "geo") return sign(a.lat - b.lat) || sign(a.lng - b.lng);
  throw new Error("oracle: compareTyped of different types");
}

/** Code point order, the simple way. */
export function oracleCompareStrings(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

export function oracleCompare(a: JsonValue | undefined, b: JsonValue | undefined): number {
  const ta = TYPE_ORDER.indexOf(typeOf(a));
  const tb = TYPE_ORDER.indexOf(typeOf(b));
  if (ta !== tb) return ta - tb;
  switch (typeOf(a)) {
    case "boolean":
      return Number(a) - Number(b);
    case "number":
      return compareNumbers(numberOf(a!), numberOf(b!));
    case "string":
      return oracleCompareStrings(a as string, b as string);
    case "timestamp":
    case "bytes":
    case "reference":
    case "geo":
      return compareTyped(typed(a)!, typed(b)!);
    default:
      return 0; // missing, null; arrays tie with arrays and maps with maps
  }
}

function sortedJson(v: JsonValue): string {
  if (Array.isArray(v)) return "[" + v.map(sortedJson).join(",") + "]";
  const t = typed(v);
  // An integer a double holds is spelled as JSON spells that double, so equal numbers have equal
  // text; any other integer as its digits and "n", which no double's JSON is; other typed values as stored.
  if (t !== null) return t.t === "int" ? (BigInt(Number(t.v)) === t.v ? JSON.stringify(Number(t.v)) : `${t.v}n`) : JSON.stringify(v);
  if (v !== null && typeof v === "object") {
    return "{" + Object.keys(v).sort(oracleCompareStrings).map((k) => JSON.stringify(k) + ":" + sortedJson(v[k]!)).join(",") + "}";
  }
  return JSON.stringify(v);
}

function equal(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return typeOf(a) === typeOf(b) && sortedJson(a) === sortedJson(b);
}

export function oracleGet(doc: OracleDoc, path: OraclePath): JsonValue | undefined {
  if (path.length === 1 && path[0] === "__id__") return doc.id;
  let v: JsonValue | undefined = doc.data;
  for (const s of path) {
    if (v === null || typeof v !== "object" || Array.isArray(v) || !(s in v)) return undefined;
    v = v[s];
  }
  return v;
}

export function oracleMatches(e: OracleExpr, doc: OracleDoc): boolean {
  switch (e.kind) {
    case "and":
      return e.children.every((c) => oracleMatches(c, doc));
    case "or":
      return e.children.some((c) => oracleMatches(c, doc));
    case "not":
      return !oracleMatches(e.child, doc);
    case "exists":
      return (oracleGet(doc, e.path) !== undefined) === e.present;
    case "in": {
      const v = oracleGet(doc, e.path);
      if (v === undefined) return false;
      const found = e.values.some((x) => equal(v, x));
      // Firestore's not-in: "the field exists, is not null, and does not match any of the comparison values"; a null in the list matches nothing.
      if (e.negated) return v !== null && !e.values.includes(null) && !found;
      return found;
    }
    case "contains": {
      const v = oracleGet(doc, e.path);
      return Array.isArray(v) && v.some((el) => e.values.some((x) => equal(el, x)));
    }
    case "compare": {
      const v = oracleGet(doc, e.path);
      if (v === undefined) return false;
      if (e.op === "==") return equal(v, e.value);
      // Firestore's !=: the field exists and is not null, and differs from the operand.
      if (e.op === "!=") return v !== null && !equal(v, e.value);
      if (typeOf(v) !== typeOf(e.value)) return false;
      const c = oracleCompare(v, e.value);
      return { "<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0 }[e.op];
    }
  }
}

/** The full, ordered result of a query. */
export function oracleQuery(docs: readonly OracleDoc[], filter: OracleExpr, order: readonly OracleOrder[], offset: number, limit: number | null): string[] {
  const idDesc = order.length > 0 && order[order.length - 1]!.descending;
  const sorted = docs
    .filter((d) => oracleMatches(filter, d))
    .sort((a, b) => {
      for (const o of order) {
        const c = oracleCompare(oracleGet(a, o.path), oracleGet(b, o.path));
        if (c !== 0) return o.descending ? -c : c;
      }
      const c = oracleCompareStrings(a.id, b.id);
      return idDesc ? -c : c;
    });
  return sorted.slice(offset, limit === null ? undefined : offset + limit).map((d) => d.id);
}

export interface OracleAggregate {
  alias: string;
  fn: "count" | "sum" | "avg" | "min" | "max";
  path: OraclePath | null;
}

/** Groups and aggregates, the plain way; sums are exact then rounded once. */
export function oracleAggregate(docs: readonly OracleDoc[], filter: OracleExpr, groupBy: readonly OraclePath[], aggs: readonly OracleAggregate[]) {
  const groups = new Map<string, { key: JsonValue[]; docs: OracleDoc[] }>();
  for (const d of docs.filter((x) => oracleMatches(filter, x))) {
    const key = groupBy.map((p) => oracleGet(d, p) ?? null);
    const k = sortedJson(key);
    if (!groups.has(k)) groups.set(k, { key, docs: [] });
    const g = groups.get(k)!;
    // Equal keys need not be identical (an integer and a double): the group shows its least id's.
    if (g.docs.every((x) => oracleCompareStrings(d.id, x.id) < 0)) g.key = key;
    g.docs.push(d);
  }
  if (groupBy.length === 0 && groups.size === 0) groups.set("[]", { key: [], docs: [] });
  const list = [...groups.values()].sort((a, b) => {
    for (let i = 0; i < a.key.length; i++) {
      const c = oracleCompare(a.key[i], b.key[i]) || oracleCompareStrings(sortedJson(a.key[i]!), sortedJson(b.key[i]!));
      if (c !== 0) return c;
    }
    return 0;
  });
  return list.map((g) => ({
    key: g.key,
    results: Object.fromEntries(aggs.map((a) => [a.alias, aggregateOne(g.docs, a)])),
  }));
}

function aggregateOne(docs: OracleDoc[], a: OracleAggregate): JsonValue {
  if (a.path === null) return docs.length;
  const values = docs.map((d) => oracleGet(d, a.path!)).filter((v): v is JsonValue => v !== undefined);
  const numbers = values.filter((v) => typeOf(v) === "number").map(numberOf);
  const scalars = values.filter((v) => typeOf(v) !== "array" && typeOf(v) !== "map");
  // Between an integer and an equal double, the double sorts first (MIN answers it, MAX the integer).
  const below = (x: JsonValue, y: JsonValue) => oracleCompare(x, y) < 0 || (oracleCompare(x, y) === 0 && typeof x === "number" && typeof y !== "number" && typeOf(y) === "number");
  switch (a.fn) {
    case "count":
      return values.length;
    case "sum": {
      if (numbers.length > 0 && numbers.every((n) => typeof n === "bigint")) {
        const total = (numbers as bigint[]).reduce((x, y) => x + y, 0n);
        if (total >= -(2n ** 63n) && total < 2n ** 63n) return { "\u0001int": total.toString() };
      }
      return exactTotal(numbers);
    }
    case "avg":
      return numbers.length === 0 ? null : exactMean(numbers);
    case "min":
      return scalars.length === 0 ? null : scalars.reduce((m, v) => (below(v, m) ? v : m));
    case "max":
      return scalars.length === 0 ? null : scalars.reduce((m, v) => (below(m, v) ? v : m));
  }
}

/** What the oracle answers for a SUM beyond the double range: the query fails with OUT_OF_RANGE. */
export const SUM_OUT_OF_RANGE = "<OUT_OF_RANGE>";

/** The sum of doubles, exactly (in BigInt units of 2^-1074), rounded once; SUM_OUT_OF_RANGE past the double range. */
function exactTotal(xs: Array<number | bigint>): number | string {
  let total = 0n;
  for (const x of xs) total += scaled(x);
  const sum = toDouble(total);
  return Number.isFinite(sum) ? sum : SUM_OUT_OF_RANGE;
}

/** The mean: the rounded exact sum over the count, or, when that sum overflows, the exact total over the count rounded once. */
function exactMean(xs: Array<number | bigint>): number {
  let total = 0n;
  for (const x of xs) total += scaled(x);
  const sum = toDouble(total);
  if (Number.isFinite(sum)) return sum / xs.length;
  const negative = total < 0n;
  const magnitude = negative ? -total : total;
  const mean = toDouble((magnitude << 64n) / BigInt(xs.length)) * 2 ** -64;
  return negative ? -mean : mean;
}

function scaled(x: number | bigint): bigint {
  if (typeof x === "bigint") return x << 1074n;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const sign = bits >> 63n ? -1n : 1n;
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = exponent === 0 ? fraction : fraction | (1n << 52n);
  const shift = exponent === 0 ? 0 : exponent - 1; // value = mantissa * 2^(shift - 1074)
  return sign * (mantissa << BigInt(shift));
}

function toDouble(s: bigint): number {
  if (s === 0n) return 0;
  const sign = s < 0n ? -1 : 1;
  const m = s < 0n ? -s : s;
  const bits = m.toString(2).length;
  const k = Math.max(0, bits - 1000);
  const sticky = (m & ((1n << BigInt(k)) - 1n)) !== 0n ? 1n : 0n;
  const t = (m >> BigInt(k)) | sticky;
  return sign * Number(t) * 2 ** (k - 1074);
}
