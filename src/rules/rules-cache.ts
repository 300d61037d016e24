/**
 * The Worker's copies of databases' security rules, compiled, like the
 * routing cache (shards/routing-cache.ts): a database's copy is read again
 * from its shard manager when older than RULES_CACHE_TTL_MS; concurrent
 * requests share one read; at most RULES_CACHE_ENTRIES_MAX databases are
 * kept, the one first cached longest ago dropped first.
 */
import { databaseStub, scopeOf } from "../databases/database-env.js";
import { objectName } from "../databases/names.js";
import type { Env } from "../env.js";
import { SHARD_MANAGER_NAME, type ShardManager } from "../objects/ShardManager.js";
import type { Remote } from "../shards/shard-client.js";
import { compileRuleCached, type CompiledRule } from "./compile.js";
import { RULES_CACHE_ENTRIES_MAX, RULES_CACHE_TTL_MS } from "./limits.js";
import type { StoredRules } from "./rule-set.js";

/** One collection's rules, compiled; null where the condition is empty. */
export interface CompiledCollectionRules {
  readonly read: CompiledRule | null;
  readonly write: CompiledRule | null;
}

/** A database's rules, compiled, by collection. */
export type CompiledRules = ReadonlyMap<string, CompiledCollectionRules>;

interface Entry {
  cached: { rules: CompiledRules; fetchedAtMs: number } | null;
}

const entries = new Map<string, Entry>();

type RulesStub = Remote<Pick<ShardManager, "rules" | "setRules">>;

/** The shard manager of `env`'s database, for its rules. */
export function rulesStub(env: Env): RulesStub {
  return databaseStub<RulesStub>(env, env.SHARD_MANAGER, SHARD_MANAGER_NAME);
}

/**
 * The compiled rules of `env`'s database, from the cache when fresh enough;
 * otherwise fetched by this request (requests never await each other's
 * fetches: docs/architecture.md, "Requests never await each other").
 */
export async function currentRules(env: Env): Promise<CompiledRules> {
  const key = objectName(scopeOf(env), SHARD_MANAGER_NAME);
  let entry = entries.get(key);
  if (entry === undefined) {
    entry = { cached: null };
    entries.set(key, entry);
    while (entries.size > RULES_CACHE_ENTRIES_MAX) entries.delete(entries.keys().next().value!);
  }
  if (entry.cached !== null && Date.now() - entry.cached.fetchedAtMs < RULES_CACHE_TTL_MS) return entry.cached.rules;
  const rules = compileAll(await rulesStub(env).rules());
  entry.cached = { rules, fetchedAtMs: Date.now() };
  return rules;
}

/** Installs rules this isolate has just set, so its next request sees them. */
export function cacheRules(env: Env, stored: StoredRules): void {
  const key = objectName(scopeOf(env), SHARD_MANAGER_NAME);
  entries.delete(key);
  entries.set(key, { cached: { rules: compileAll(stored), fetchedAtMs: Date.now() } });
  while (entries.size > RULES_CACHE_ENTRIES_MAX) entries.delete(entries.keys().next().value!);
}

/** Compiles stored rules; they were checked when set, so a failure here is a broken invariant. */
export function compileAll(stored: StoredRules): CompiledRules {
  const rules = new Map<string, CompiledCollectionRules>();
  for (const c of stored.collections) {
    rules.set(c.collection, { read: compileOrThrow(c.read, "read"), write: compileOrThrow(c.write, "write") });
  }
  return rules;
}

function compileOrThrow(source: string, kind: "read" | "write"): CompiledRule | null {
  if (source === "") return null;
  const compiled = compileRuleCached(source, kind);
  if (!compiled.ok) throw new Error(`invariant broken: a stored ${kind} rule does not compile: ${compiled.message}`);
  return compiled.rule;
}
