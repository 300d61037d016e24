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
import { RANK_ARRAY, RANK_MAP, RANK_MISSING, RANK_NULL, rankOf, sortKeyOf } from "./values.js";
import { typedKey } from "../values/order-key.js";
import { typedLeafOf } from "../values/typed.js";

/** A SQL condition with its bound values. */
export interface SqlCondition {
  readonly sql: string;
  readonly params: Array<string | number>;
  /** False when the condition matches a superset and rows must be re-checked. */
  readonly exact: boolean;
  /**
   * The leaves that are conjuncts of the whole filter (reached through AND
   * alone, never under OR or NOT) and are said exactly in `sql`: SQLite can
   * seek an index on these, so the shard picks its index from them
   * (`index-choice.ts`). A leaf that widened to a superset is not here.
   */
  readonly exactConjuncts: readonly LeafExpr[];
}

/** A filter leaf: any node but AND, OR and NOT. */
export type LeafExpr = Exclude<Expr, { kind: "and" | "or" | "not" }>;

/** Budgets for one translation. */
export interface SqlBudget {
  readonly paramsMax: number;
  /** UTF-8 bytes of SQL text. */
  readonly bytesMax: number;
  /**
   * The deepest expression tree the condition may make, as SQLite counts
   * depth (SQL_EXPR_DEPTH_MAX less what the statement around it uses);
   * SQLite refuses a deeper statement outright.
   */
  readonly depthMax: number;
}

/** A translated part, with a bound on the depth of its expression tree. */
type Part = { sql: string; exact: boolean; depth: number };

const utf8 = new TextEncoder();
const TRUE: Part = { sql: "1", exact: true, depth: 1 };
const SUPERSET: Part = { sql: "1", exact: false, depth: 1 };

/**
 * An upper bound on the depth of a leaf's SQL: a comparison over
 * `CASE json_type(...)` and `coalesce(json_extract(...), ...)` nests about
 * six deep; IN and EXISTS lists add one level, whatever their length.
 */
const LEAF_DEPTH_MAX = 8;

/**
 * Joins parts with AND or OR as a balanced tree of parentheses. SQLite
 * parses `a OR b OR c ...` as a left-deep tree, one level per term, so a
 * flat list of a hundred terms would pass its depth limit; balanced, n terms
 * add only ceil(log2 n) levels.
 */
function joinBalanced(parts: readonly Part[], op: "AND" | "OR"): Part {
  if (parts.length === 1) return parts[0]!;
  const half = Math.ceil(parts.length / 2);
  const left = joinBalanced(parts.slice(0, half), op);
  const right = joinBalanced(parts.slice(half), op);
  return { sql: `(${left.sql}) ${op} (${right.sql})`, exact: left.exact && right.exact, depth: Math.max(left.depth, right.depth) + 1 };
}

/** The levels a balanced join of `n` parts adds. */
function joinDepth(n: number): number {
  return n <= 1 ? 0 : Math.ceil(Math.log2(n));
}

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
    return { sql, exact: true, depth: LEAF_DEPTH_MAX };
  };
  const exactConjuncts: LeafExpr[] = [];
  // `depthLeft` is what this part may still nest; a part that cannot fit
  // in it becomes a superset, like one over the other budgets. `conjunct`:
  // `e` is reached from the root through AND alone.
  const walk = (e: Expr, depthLeft: number, conjunct: boolean): Part => {
    switch (e.kind) {
      case "and":
      case "or": {
        if (e.children.length === 0) return e.kind === "and" ? TRUE : { sql: "0", exact: true, depth: 1 };
        const childDepth = depthLeft - joinDepth(e.children.length);
        if (childDepth < LEAF_DEPTH_MAX) return SUPERSET;
        const list = e.kind === "or" ? equalityList(e.children) : null;
        if (list !== null) return walk(list, depthLeft, conjunct);
        const childConjunct = conjunct && e.kind === "and";
        return joinBalanced(e.children.map((c) => walk(c, childDepth, childConjunct)), e.kind === "and" ? "AND" : "OR");
      }
      case "not": {
        const before = { params: params.length, bytes };
        const inner = walk(e.child, depthLeft - 1, false);
        if (!inner.exact) {
          params.length = before.params;
          bytes = before.bytes;
          return SUPERSET;
        }
        return { sql: `NOT (${inner.sql})`, exact: true, depth: inner.depth + 1 };
      }
      default: {
        if (depthLeft < LEAF_DEPTH_MAX) return SUPERSET;
        const part = leaf(e, fit);
        if (conjunct && part.exact) exactConjuncts.push(e);
        return part;
      }
    }
  };
  const part = walk(expr, budget.depthMax, true);
  if (part.depth > budget.depthMax) throw new Error("invariant broken: a filter's SQL stays within its depth budget");
  return { sql: part.sql, params, exact: part.exact, exactConjuncts };
}

type Fit = (sql: string, values: Array<string | number>) => Part;

/**
 * `f == a OR f == b ...` of scalars as the IN it means (`f IN (a, b, ...)`), or null.
 * AIP-160 text has no IN and tells users to write the OR, so both spell
 * one `value IN (...)` test that an index can seek on, with the same
 * matches (IN is membership by the same deep equality as `==`).
 */
function equalityList(children: readonly Expr[]): LeafExpr | null {
  const first = children[0];
  if (first === undefined || first.kind !== "compare" || first.op !== "==") return null;
  const values: JsonValue[] = [];
  for (const c of children) {
    if (c.kind !== "compare" || c.op !== "==" || !samePath(c.path, first.path)) return null;
    // Arrays and maps stay an OR of per-value supersets, narrower than the
    // one superset an IN of them widens to.
    if (rankOf(c.value) === RANK_ARRAY || rankOf(c.value) === RANK_MAP) return null;
    values.push(c.value);
  }
  return { kind: "in", path: first.path, values, negated: false };
}

function samePath(a: FieldPath, b: FieldPath): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

function leaf(e: LeafExpr, fit: Fit): Part {
  const key = sqlKeyOf(e.path);
  if (key === null) return SUPERSET;
  switch (e.kind) {
    case "exists":
      return fit(e.present ? `${key.rank} <> ${RANK_MISSING}` : `${key.rank} = ${RANK_MISSING}`, []);
    case "compare": {
      if (e.op === "==" || e.op === "!=") {
        const eq = equalTo(key, e.value);
        if (e.op === "==") return eq === null ? widened(`${key.rank} = ${rankOf(e.value)}`, fit) : fit(eq.sql, eq.params);
        // The field holds a value other than null and other than the operand (evaluate.ts).
        if (eq === null) return widened(holdsValue(key), fit);
        return fit(`${holdsValue(key)} AND NOT (${eq.sql})`, eq.params);
      }
      return range(key, e.op, e.value, fit);
    }
    case "in": {
      // NOT_IN with a null in its list matches nothing; otherwise the field holds a value other than null and the list's (evaluate.ts).
      if (e.negated && e.values.some((v) => v === null)) return fit("0", []);
      const any = inList(key, e.values);
      if (any === null) return e.negated ? widened(holdsValue(key), fit) : SUPERSET;
      return fit(e.negated ? `${holdsValue(key)} AND NOT (${any.sql})` : any.sql, any.params);
    }
    case "contains":
      return contains(e.path, key, e.values, fit);
  }
}

/** The field is present and holds a value other than null: what `!=` and NOT_IN need first. */
function holdsValue(key: SqlKey): string {
  return `${key.rank} NOT IN (${RANK_MISSING}, ${RANK_NULL})`;
}

/**
 * `field IN (values)` for scalar values, one `rank = r AND value IN (...)`
 * per type, so its depth does not grow with the list; null when a value is
 * an array or map (deep equality).
 */
function inList(key: SqlKey, values: readonly JsonValue[]): { sql: string; params: Array<string | number> } | null {
  const byRank = new Map<number, Array<string | number>>();
  let hasNull = false;
  for (const v of values) {
    const rank = rankOf(v);
    if (rank === RANK_NULL) {
      hasNull = true;
      continue;
    }
    const scalar = scalarParam(v);
    if (scalar === null) return null;
    let list = byRank.get(rank);
    if (list === undefined) byRank.set(rank, (list = []));
    list.push(sqlScalar(rank, scalar));
  }
  const terms: string[] = [];
  const params: Array<string | number> = [];
  if (hasNull) terms.push(`${key.rank} = ${RANK_NULL}`);
  for (const [rank, list] of byRank) {
    terms.push(`${key.rank} = ${rank} AND ${key.value} IN (${list.map(() => "?").join(", ")})`);
    params.push(...list);
  }
  // At most one term per type rank: a handful, so a flat OR is shallow.
  return { sql: terms.map((t) => `(${t})`).join(" OR "), params };
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
 * (and typed) elements under the same path; every other scalar in `data`. Each kind of
 * value is one test with an IN list, so the depth does not grow with the
 * number of values.
 */
function contains(path: FieldPath, key: SqlKey, values: readonly JsonValue[], fit: Fit): Part {
  const each = sqlEachPath(path);
  if (each === null) return fit("0", []); // the id is never an array
  if (values.length === 0) throw new Error("invariant broken: ARRAY_CONTAINS names at least one value (checked by the parser)");
  const types = new Set<string>();
  const strings: string[] = [];
  const numberKeys: string[] = [];
  for (const v of values) {
    if (v === null) types.add("'null'");
    else if (typeof v === "boolean") types.add(v ? "'true'" : "'false'");
    else if (typeof v === "number") numberKeys.push(numberKey(v));
    else if (typeof v === "string") strings.push(v);
    else {
      // Typed elements are matched by their keys, as numbers are (num_keys holds both).
      const leaf = Array.isArray(v) ? null : typedLeafOf(v);
      if (leaf === null) return widened(`${key.rank} = ${RANK_ARRAY}`, fit);
      numberKeys.push(typedKey(leaf));
    }
  }
  const tests: string[] = [];
  if (types.size > 0) tests.push(`type IN (${[...types].join(", ")})`);
  if (strings.length > 0) tests.push(`type = 'text' AND value IN (${strings.map(() => "?").join(", ")})`);
  const found: string[] = [];
  if (tests.length > 0) found.push(`EXISTS (SELECT 1 FROM json_each(data, ${each}) WHERE ${tests.map((t) => `(${t})`).join(" OR ")})`);
  if (numberKeys.length > 0) found.push(`EXISTS (SELECT 1 FROM json_each(num_keys, ${each}) WHERE value IN (${numberKeys.map(() => "?").join(", ")}))`);
  return fit(`${key.rank} = ${RANK_ARRAY} AND (${found.join(" OR ")})`, [...strings, ...numberKeys]);
}

/** A superset condition: rows it keeps are re-checked in JavaScript. */
function widened(sql: string, fit: Fit): Part {
  const part = fit(sql, []);
  return { ...part, exact: false };
}

function scalarParam(value: JsonValue): string | number | null {
  return sortKeyOf(value)[1];
}

