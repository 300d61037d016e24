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

const TYPE_ORDER = ["missing", "null", "boolean", "number", "string", "array", "map"];

function typeOf(v: JsonValue | undefined): string {
  if (v === undefined) return "missing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "object") return "map";
  return typeof v;
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
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case "string":
      return oracleCompareStrings(a as string, b as string);
    default:
      return 0; // missing, null; arrays tie with arrays and maps with maps
  }
}

function sortedJson(v: JsonValue): string {
  if (Array.isArray(v)) return "[" + v.map(sortedJson).join(",") + "]";
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
      return e.negated ? !found : found;
    }
    case "contains": {
      const v = oracleGet(doc, e.path);
      return Array.isArray(v) && v.some((el) => e.values.some((x) => equal(el, x)));
    }
    case "compare": {
      const v = oracleGet(doc, e.path);
      if (v === undefined) return false;
      if (e.op === "==") return equal(v, e.value);
      if (e.op === "!=") return !equal(v, e.value);
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
    groups.get(k)!.docs.push(d);
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
  const numbers = values.filter((v): v is number => typeof v === "number");
  const scalars = values.filter((v) => typeOf(v) !== "array" && typeOf(v) !== "map");
  switch (a.fn) {
    case "count":
      return values.length;
    case "sum":
      return exactTotal(numbers);
    case "avg":
      return numbers.length === 0 ? null : exactMean(numbers);
    case "min":
      return scalars.length === 0 ? null : scalars.reduce((m, v) => (oracleCompare(v, m) < 0 ? v : m));
    case "max":
      return scalars.length === 0 ? null : scalars.reduce((m, v) => (oracleCompare(v, m) > 0 ? v : m));
  }
}

/** What the oracle answers for a SUM beyond the double range: the query fails with OUT_OF_RANGE. */
export const SUM_OUT_OF_RANGE = "<OUT_OF_RANGE>";

/** The sum of doubles, exactly (in BigInt units of 2^-1074), rounded once; SUM_OUT_OF_RANGE past the double range. */
function exactTotal(xs: number[]): number | string {
  let total = 0n;
  for (const x of xs) total += scaled(x);
  const sum = toDouble(total);
  return Number.isFinite(sum) ? sum : SUM_OUT_OF_RANGE;
}

/** The mean: the rounded exact sum over the count, or, when that sum overflows, the exact total over the count rounded once. */
function exactMean(xs: number[]): number {
  let total = 0n;
  for (const x of xs) total += scaled(x);
  const sum = toDouble(total);
  if (Number.isFinite(sum)) return sum / xs.length;
  const negative = total < 0n;
  const magnitude = negative ? -total : total;
  const mean = toDouble((magnitude << 64n) / BigInt(xs.length)) * 2 ** -64;
  return negative ? -mean : mean;
}

function scaled(x: number): bigint {
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
