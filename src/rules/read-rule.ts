/**
 * A read rule as one query carries it to the shards: the part pushed into
 * SQL (translate.ts, with the caller's claims substituted) and, when that
 * part is not the whole rule, what a shard needs to evaluate the rule per
 * document. Plain data that structured-clones safely: the claims travel as
 * JSON text (a claim named `__proto__` would not clone as an object).
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { MATCH_ALL, type Expr } from "../query/expression.js";
import { compileRuleCached, type CompiledRule, type RuleMethod } from "./compile.js";
import { ruleToFilter } from "./translate.js";

/** The read rule of one query, for its shards. */
export interface ShardReadRule {
  /** The condition as set. */
  readonly source: string;
  /** ANDed into the query's filter; the whole rule when `exact`. */
  readonly filter: Expr;
  /** False: shards evaluate `source` per document as well. */
  readonly exact: boolean;
  /** `request.auth`, as JSON text. */
  readonly authJson: string;
  readonly method: RuleMethod;
}

/** How a rule took part in a query, for Explain. */
export interface RuleReport {
  readonly condition: string;
  readonly pushed: boolean;
  readonly evaluatedPerDocument: boolean;
  /**
   * True when Explain must not show the shards' rows read: they include
   * rows the rule refused, so their count would tell the caller whether
   * hidden documents match its filter (an equality or range oracle).
   */
  readonly rowsReadWithheld: boolean;
}

/**
 * What a run's rows read count: `all` rows SQLite read, hidden ones too (a
 * query or aggregation, whose SQL reads rows before the rule drops them),
 * or only `readable` documents (a search, whose statistics and budgets the
 * rule scopes: src/search/README.md).
 */
export type RowsReadScope = "all" | "readable";

/** The rule of a query or listing by a caller with claims `auth`. */
export function shardReadRule(rule: CompiledRule, auth: Readonly<Record<string, unknown>>, method: RuleMethod): ShardReadRule {
  const { filter, exact } = ruleToFilter(rule.ast, { auth, method });
  return { source: rule.source, filter, exact, authJson: JSON.stringify(auth), method };
}

/**
 * What Explain says of a rule. Rows read that count `all` rows are withheld
 * unless the rule hides nothing from this caller (it reads no document and
 * allowed: the filter is everything, exactly).
 */
export function ruleReport(rule: ShardReadRule, rowsRead: RowsReadScope): RuleReport {
  const pushed = !filterIsAll(rule.filter);
  const hidesNothing = rule.exact && !pushed;
  return { condition: rule.source, pushed, evaluatedPerDocument: !rule.exact, rowsReadWithheld: rowsRead === "all" && !hidesNothing };
}

function filterIsAll(filter: Expr): boolean {
  return filter === MATCH_ALL || (filter.kind === "and" && filter.children.length === 0);
}

/**
 * The per-document check a shard runs for `rule`, or null when the SQL
 * filter says the whole rule. Parses the claims once per request.
 */
export function documentCheck(rule: ShardReadRule | null | undefined): ((doc: { id: string; data: JsonObject }) => boolean) | null {
  if (rule === null || rule === undefined || rule.exact) return null;
  const compiled = compileRuleCached(rule.source, "read");
  if (!compiled.ok) throw new Error(`invariant broken: a read rule sent to a shard does not compile: ${compiled.message}`);
  const auth = JSON.parse(rule.authJson) as Record<string, unknown>;
  const request = { auth, method: rule.method };
  return (doc) => compiled.rule.allows({ request, resource: { id: doc.id, data: doc.data } });
}
