/**
 * Translates a filter into a SQL condition over the `documents` table.
 * Every condition evaluates to 0 or 1, never NULL, so NOT is a plain
 * complement. A part that SQL cannot say exactly (deep equality with an
 * array or map, a path SQL cannot spell, or a part that would pass the
 * statement's parameter or size budget) becomes a superset condition and
 * the translation is marked inexact: the shard then re-checks every row
 * with `evaluate.ts`. A superset cannot sit under NOT, so an inexact part
 * under NOT widens to "true".
 */
import type { JsonValue } from "@bufbuild/protobuf";
import type { FieldPath } from "../validation/field-path.js";
import type { Expr } from "./expression.js";
import { numberKey } from "./number-key.js";
import { sqlEachPath, sqlKeyOf, sqlScalar, type SqlKey } from "./sql-path.js";
import { RANK_ARRAY, RANK_BOOLEAN, RANK_MISSING, RANK_NULL, RANK_STRING, rankOf } from "./values.js";

/** A SQL condition with its bound values. */
export interface SqlCondition {
  readonly sql: string;
  readonly params: Array<string | number>;
  /** False when the condition matches a superset and rows must be re-checked. */
  readonly exact: boolean;
}

/** Budgets for one translation. */
export interface SqlBudget {
  readonly paramsMax: number;
  /** UTF-8 bytes of SQL text. */
  readonly bytesMax: number;
}

type Part = { sql: string; exact: boolean };

const utf8 = new TextEncoder();
const TRUE: Part = { sql: "1", exact: true };
const SUPERSET: Part = { sql: "1", exact: false };

/** Translates `expr` within `budget`. */
export function filterToSql(expr: Expr, budget: SqlBudget): SqlCondition {
  const params: Array<string | number> = [];
  let bytes = 0;
  // A leaf is kept only if it fits the remaining budget; otherwise it
  // widens to a superset, which is always correct.
  const fit = (sql: string, values: Array<string | number>): Part => {
    const size = utf8.encode(sql).length;
    if (params.length + values.length > budget.paramsMax || bytes + size > budget.bytesMax) return SUPERSET;
    params.push(...values);
    bytes += size;
    return { sql, exact: true };
  };
  const walk = (e: Expr): Part => {
    switch (e.kind) {
      case "and": {
        const parts = e.children.map(walk);
        if (parts.length === 0) return TRUE;
        return { sql: parts.map((p) => `(${p.sql})`).join(" AND "), exact: parts.every((p) => p.exact) };
      }
      case "or": {
        const parts = e.children.map(walk);
        return { sql: parts.map((p) => `(${p.sql})`).join(" OR "), exact: parts.every((p) => p.exact) };
      }
      case "not": {
        const before = params.length;
        const inner = walk(e.child);
        if (!inner.exact) {
          params.length = before;
          return SUPERSET;
        }
        return { sql: `NOT (${inner.sql})`, exact: true };
      }
      default:
        return leaf(e, fit);
    }
  };
  const part = walk(expr);
  return { sql: part.sql, params, exact: part.exact };
}

type Fit = (sql: string, values: Array<string | number>) => Part;

function leaf(e: Exclude<Expr, { kind: "and" | "or" | "not" }>, fit: Fit): Part {
  const key = sqlKeyOf(e.path);
  if (key === null) return SUPERSET;
  switch (e.kind) {
    case "exists":
      return fit(e.present ? `${key.rank} <> ${RANK_MISSING}` : `${key.rank} = ${RANK_MISSING}`, []);
    case "compare": {
      if (e.op === "==" || e.op === "!=") {
        const eq = equalTo(key, e.value);
        if (e.op === "==") return eq === null ? widened(`${key.rank} = ${rankOf(e.value)}`, fit) : fit(eq.sql, eq.params);
        if (eq === null) return widened(`${key.rank} <> ${RANK_MISSING}`, fit);
        return fit(`${key.rank} <> ${RANK_MISSING} AND NOT (${eq.sql})`, eq.params);
      }
      return range(key, e.op, e.value, fit);
    }
    case "in": {
      const eqs = e.values.map((v) => equalTo(key, v));
      if (eqs.some((q) => q === null)) return e.negated ? widened(`${key.rank} <> ${RANK_MISSING}`, fit) : SUPERSET;
      const any = eqs.map((q) => `(${q!.sql})`).join(" OR ");
      const params = eqs.flatMap((q) => q!.params);
      return fit(e.negated ? `${key.rank} <> ${RANK_MISSING} AND NOT (${any})` : any, params);
    }
    case "contains":
      return contains(e.path, key, e.values, fit);
  }
}

/** `field == value` for a scalar value; null for arrays and maps, which need deep equality. */
function equalTo(key: SqlKey, value: JsonValue): { sql: string; params: Array<string | number> } | null {
  const rank = rankOf(value);
  if (rank === RANK_NULL) return { sql: `${key.rank} = ${RANK_NULL}`, params: [] };
  const scalar = scalarParam(value);
  if (scalar === null) return null;
  return { sql: `${key.rank} = ${rank} AND ${key.value} = ?`, params: [sqlScalar(rank, scalar)] };
}

function range(key: SqlKey, op: "<" | "<=" | ">" | ">=", value: JsonValue, fit: Fit): Part {
  const rank = rankOf(value);
  if (rank === RANK_NULL) return op === "<=" || op === ">=" ? fit(`${key.rank} = ${RANK_NULL}`, []) : fit("0", []);
  const scalar = scalarParam(value);
  if (scalar === null) throw new Error("invariant broken: range operands are scalars (checked by the parser)");
  return fit(`${key.rank} = ${rank} AND ${key.value} ${op} ?`, [sqlScalar(rank, scalar)]);
}

/**
 * `path` is an array holding one of `values`. Number elements are matched
 * by their keys in `num_keys`, which holds the keys of an array's number
 * elements under the same path; every other scalar in `data`.
 */
function contains(path: FieldPath, key: SqlKey, values: readonly JsonValue[], fit: Fit): Part {
  const each = sqlEachPath(path);
  if (each === null) return fit("0", []); // the id is never an array
  const tests: string[] = [];
  const params: Array<string | number> = [];
  const numberKeys: string[] = [];
  for (const v of values) {
    if (typeof v === "number") {
      numberKeys.push(numberKey(v));
      continue;
    }
    const test = elementTest(v);
    if (test === null) return widened(`${key.rank} = ${RANK_ARRAY}`, fit);
    tests.push(`(${test.sql})`);
    params.push(...test.params);
  }
  if (values.length === 0) throw new Error("invariant broken: ARRAY_CONTAINS names at least one value (checked by the parser)");
  const found: string[] = [];
  if (tests.length > 0) found.push(`EXISTS (SELECT 1 FROM json_each(data, ${each}) WHERE ${tests.join(" OR ")})`);
  if (numberKeys.length > 0) {
    found.push(`EXISTS (SELECT 1 FROM json_each(num_keys, ${each}) WHERE value IN (${numberKeys.map(() => "?").join(", ")}))`);
    params.push(...numberKeys);
  }
  return fit(`${key.rank} = ${RANK_ARRAY} AND (${found.join(" OR ")})`, params);
}

/** A json_each row's test for equality with a scalar element other than a number. */
function elementTest(value: JsonValue): { sql: string; params: Array<string | number> } | null {
  switch (rankOf(value)) {
    case RANK_NULL:
      return { sql: "type = 'null'", params: [] };
    case RANK_BOOLEAN:
      return { sql: value === true ? "type = 'true'" : "type = 'false'", params: [] };
    case RANK_STRING:
      return { sql: "type = 'text' AND value = ?", params: [value as string] };
    default:
      return null;
  }
}

/** A superset condition: rows it keeps are re-checked in JavaScript. */
function widened(sql: string, fit: Fit): Part {
  return { sql: fit(sql, []).sql, exact: false };
}

function scalarParam(value: JsonValue): string | number | null {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number" || typeof value === "string") return value;
  return null;
}

