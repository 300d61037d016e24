/**
 * A database's security rules as stored and sent: per collection, the
 * source of a read and a write condition (empty: that operation is left to
 * roles). `checkRuleSet` is the one place a rule set is validated before it
 * is stored, so a stored set always compiles.
 */
import { failure, type Failure } from "../errors.js";
import { checkCollection } from "../validation/refs.js";
import { compileRule } from "./compile.js";
import { RULE_COLLECTIONS_MAX } from "./limits.js";

/** The conditions of one collection, as CEL source. */
export interface CollectionRuleSource {
  readonly collection: string;
  readonly read: string;
  readonly write: string;
}

/** A database's rules, with when they were set (null: never). */
export interface StoredRules {
  readonly collections: readonly CollectionRuleSource[];
  readonly updateTimeMs: number | null;
}

/** The rules of a database nobody has set rules for. */
export const NO_RULES: StoredRules = { collections: [], updateTimeMs: null };

/**
 * Null when `collections` may be stored; otherwise INVALID_ARGUMENT naming
 * the first problem: a bad or repeated collection name, too many
 * collections, or a condition that does not compile, as
 * `rules.collections[i].read:LINE:COLUMN: why`.
 */
export function checkRuleSet(collections: readonly CollectionRuleSource[]): Failure | null {
  if (collections.length > RULE_COLLECTIONS_MAX) {
    return failure("invalid_argument", `rules.collections has ${collections.length} entries, over RULE_COLLECTIONS_MAX (${RULE_COLLECTIONS_MAX})`);
  }
  const seen = new Set<string>();
  for (const [i, c] of collections.entries()) {
    const problem = checkCollection(c.collection);
    if (problem !== null) return failure("invalid_argument", `rules.collections[${i}].collection: ${problem.message}`);
    if (seen.has(c.collection)) return failure("invalid_argument", `rules.collections[${i}]: collection ${c.collection} is named twice`);
    seen.add(c.collection);
    for (const kind of ["read", "write"] as const) {
      if (c[kind] === "") continue;
      const compiled = compileRule(c[kind], kind);
      if (!compiled.ok) return failure("invalid_argument", `rules.collections[${i}].${kind}:${compiled.line}:${compiled.column}: ${compiled.message}`);
    }
  }
  return null;
}

/** The rules of `collection`, or null when it has none. */
export function rulesFor(rules: StoredRules, collection: string): CollectionRuleSource | null {
  return rules.collections.find((c) => c.collection === collection) ?? null;
}
