/**
 * The ORDER BY of a shard's statement and the condition that resumes after
 * a cursor, both over the sort-key expressions of `sql-path.ts` (so an
 * index built on the same expressions serves them).
 */
import { FailureError } from "../errors.js";
import { formatFieldPath } from "../validation/field-path.js";
import { idDescending, type OrderKey, type QueryCursor } from "./order.js";
import { sqlKeyOf, sqlScalar } from "./sql-path.js";
import type { Expr } from "./expression.js";
import { rankOf } from "./values.js";

/** The computed sort columns, the ORDER BY, and the resume condition. */
export interface SqlOrder {
  /** `expr AS r0, expr AS v0, ...` (empty when there are no keys). */
  readonly columns: string;
  readonly orderBy: string;
  readonly after: { sql: string; params: Array<string | number> };
}

/**
 * The sort paths whose type rank the filter fixes: a top-level conjunct that
 * compares the path with `==`, `<`, `<=`, `>` or `>=` matches only values of
 * the operand's own type, and an IN whose values all have one type matches
 * only values of that type, so every matching document has the same rank there.
 */
export function rankPinnedPaths(filter: Expr): Set<string> {
  const conjuncts = filter.kind === "and" ? filter.children : [filter];
  const pinned = new Set<string>();
  for (const c of conjuncts) {
    if (c.kind === "compare" && c.op !== "!=") pinned.add(JSON.stringify(c.path));
    if (c.kind === "in" && !c.negated && c.values.length > 0 && new Set(c.values.map(rankOf)).size === 1) pinned.add(JSON.stringify(c.path));
  }
  return pinned;
}

/**
 * The sort paths whose whole sort key the filter fixes: a top-level
 * conjunct `==` (deep equality, so every match has one sort key there), or
 * an IN of a single value.
 */
export function keyPinnedPaths(filter: Expr): Set<string> {
  const conjuncts = filter.kind === "and" ? filter.children : [filter];
  const pinned = new Set<string>();
  for (const c of conjuncts) {
    if ((c.kind === "compare" && c.op === "==") || (c.kind === "in" && !c.negated && c.values.length === 1)) pinned.add(JSON.stringify(c.path));
  }
  return pinned;
}

/**
 * Builds the order clauses for `order`, resuming after `cursor` when given.
 * A key whose rank the filter pins (see rankPinnedPaths) leaves its rank out
 * of the ORDER BY, and a key the filter pins whole (keyPinnedPaths) leaves
 * out its value too: they are the same on every matching row, and SQLite
 * does not see that for an expression, so keeping them would stop an index
 * from serving the order (a sort of every match instead of reading LIMIT
 * rows). The resume condition keeps every key: it compares equal there.
 */
export function orderToSql(
  order: readonly OrderKey[],
  cursor: QueryCursor | null,
  pinnedRanks: ReadonlySet<string> = new Set(),
  pinnedKeys: ReadonlySet<string> = new Set(),
): SqlOrder {
  const columns: string[] = [];
  const terms: string[] = [];
  order.forEach((key, i) => {
    const sql = sqlKeyOf(key.path);
    if (sql === null) throw new FailureError("invalid_argument", `cannot sort on ${formatFieldPath(key.path)}: its name holds a quote or backslash`);
    const dir = key.descending ? "DESC" : "ASC";
    columns.push(`${sql.rank} AS r${i}`, `${sql.value} AS v${i}`);
    const path = JSON.stringify(key.path);
    if (pinnedKeys.has(path)) return;
    if (!pinnedRanks.has(path)) terms.push(`r${i} ${dir}`);
    terms.push(`v${i} ${dir}`);
  });
  terms.push(`id ${idDescending(order) ? "DESC" : "ASC"}`);
  return { columns: columns.join(", "), orderBy: terms.join(", "), after: cursor === null ? { sql: "1", params: [] } : afterCursor(order, cursor) };
}

/**
 * Rows strictly after `cursor`: lexicographic over (r0, v0, r1, v1, ...,
 * id), each in its key's direction. Inside one rank the scalars are all
 * NULL (missing, null, arrays, maps) or all non-NULL, so a NULL scalar in
 * the cursor means "equal" for that rank.
 */
function afterCursor(order: readonly OrderKey[], cursor: QueryCursor): { sql: string; params: Array<string | number> } {
  if (cursor.keys.length !== order.length) throw new Error("invariant broken: cursor keys match the order");
  let sql = idDescending(order) ? "id < ?" : "id > ?";
  let params: Array<string | number> = [cursor.id];
  for (let i = order.length - 1; i >= 0; i--) {
    const [rank, scalar] = cursor.keys[i]!;
    const beyond = order[i]!.descending ? "<" : ">";
    if (scalar === null) {
      sql = `r${i} ${beyond} ? OR (r${i} = ? AND (${sql}))`;
      params = [rank, rank, ...params];
    } else {
      const bound = sqlScalar(rank, scalar);
      sql = `r${i} ${beyond} ? OR (r${i} = ? AND (v${i} ${beyond} ? OR (v${i} = ? AND (${sql}))))`;
      params = [rank, rank, bound, bound, ...params];
    }
  }
  return { sql, params };
}
