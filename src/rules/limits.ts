/**
 * The limits of security rules, with their units in their names. Checked
 * against each other at load time.
 */

/** The longest rule condition, in characters (Firestore allows 256 KiB for a whole ruleset; one condition needs far less). */
export const RULE_CHARS_MAX = 4096;

/** The most collections one database may have rules for. */
export const RULE_COLLECTIONS_MAX = 100;

/** The most nodes in a rule's parsed tree, so evaluating one per document stays cheap. */
export const RULE_NODES_MAX = 1000;

/** The deepest nesting in a rule's parsed tree. */
export const RULE_DEPTH_MAX = 64;

/**
 * How deep comprehensions (all, exists, exists_one, map, filter) may nest
 * inside each other's bodies: 1, none inside another. Each body runs once
 * per element, so nested ones multiply: seven nested loops over ten
 * elements (10^7 steps) passed the node and depth limits and made every
 * read of a bound caller take 15 s.
 */
export const RULE_COMPREHENSION_DEPTH_MAX = 1;

/**
 * How long a Worker isolate uses a database's rules without asking its
 * shard manager again: a change reaches every isolate within this time (the
 * isolate that set them at once). Like ROUTING_CACHE_TTL_MS.
 */
export const RULES_CACHE_TTL_MS = 5_000;

/** The most databases whose rules one isolate keeps; the one first cached longest ago goes first. */
export const RULES_CACHE_ENTRIES_MAX = 256;

/** The most compiled rules one shard (or Worker isolate) keeps, by source text. */
export const COMPILED_RULES_CACHE_MAX = 1000;

function assertLimit(ok: boolean, what: string): void {
  if (!ok) throw new Error(`invariant broken: rule limits: ${what}`);
}

assertLimit(RULE_DEPTH_MAX <= RULE_NODES_MAX, "a tree's depth never exceeds its node count limit");
assertLimit(RULE_NODES_MAX <= RULE_CHARS_MAX, "the node limit binds only rules that fit RULE_CHARS_MAX");
assertLimit(RULES_CACHE_TTL_MS > 0 && RULES_CACHE_ENTRIES_MAX >= 1, "the rules cache holds something for some time");
assertLimit(COMPILED_RULES_CACHE_MAX >= RULE_COLLECTIONS_MAX * 2, "one database's compiled rules fit the cache");
