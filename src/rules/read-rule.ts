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
}

/** The rule of a query or listing by a caller with claims `auth`. */
export function shardReadRule(rule: CompiledRule, auth: Readonly<Record<string, unknown>>, method: RuleMethod): ShardReadRule {
  const { filter, exact } = ruleToFilter(rule.ast, { auth, method });
  return { source: rule.source, filter, exact, authJson: JSON.stringify(auth), method };
}

/** What Explain says of a rule. */
export function ruleReport(rule: ShardReadRule): RuleReport {
  const pushed = !(filterIsAll(rule.filter));
  return { condition: rule.source, pushed, evaluatedPerDocument: !rule.exact };
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
