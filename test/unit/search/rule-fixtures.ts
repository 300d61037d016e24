/**
 * Shared pieces of the search tests that bind a caller by a read rule: the
 * rule compiled for the caller `alice`, in its two shapes (pushed into SQL,
 * or checked per document by the CEL rule), and a plain search spec.
 */
import { MATCH_ALL } from "../../../src/query/expression.js";
import { compileRuleCached } from "../../../src/rules/compile.js";
import { shardReadRule, type ShardReadRule } from "../../../src/rules/read-rule.js";

/** `source` compiled as a read rule for the caller `alice` listing; with `pushed` false nothing is pushed and every document is checked by the CEL rule. */
export function aliceReadRule(source: string, pushed: boolean): ShardReadRule {
  const compiled = compileRuleCached(source, "read");
  if (!compiled.ok) throw new Error(compiled.message);
  const r = shardReadRule(compiled.rule, { sub: "alice" }, "list");
  return pushed ? r : { ...r, filter: MATCH_ALL, exact: false };
}

/** A search over all of `collection`: no filter, order, limit, offset or projection. */
export function searchSpec(collection: string) {
  return { collection, filter: MATCH_ALL, order: [], limit: null, offset: 0, select: null };
}

/** A deadline a minute away, on the real clock. */
export function minuteDeadline() {
  return { atMs: Date.now() + 60_000, now: () => Date.now() };
}
