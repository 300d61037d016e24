/**
 * QueryPlanner: decides which shards a query goes to and what each is
 * asked. Shards are pruned when the filter pins document ids (`__id__ ==`
 * or `__id__ IN` under AND/OR): only the shards owning those ids can hold a
 * match. Everything else is pushed into each shard's statement (filter,
 * order, cursor, limit; see `shard-query.ts`), where SQLite picks a
 * secondary index built on the same expressions, or the shard names one an
 * equality or IN pins (`index-choice.ts`).
 */
import type { Expr } from "./expression.js";
import { isIdPath } from "./expression.js";

/** The routing a plan needs. */
export interface PlanRouting {
  /** Every shard, in routing-table order. */
  readonly shards: readonly string[];
  shardFor(collection: string, id: string): string;
}

/** Which shards a query visits. */
export interface ShardSelection {
  readonly queried: string[];
  readonly pruned: string[];
}

/** Picks the shards for a query over `collection` with `filter`. */
export function selectShards(routing: PlanRouting, collection: string, filter: Expr): ShardSelection {
  const ids = pinnedIds(filter);
  if (ids === null) return { queried: [...routing.shards], pruned: [] };
  const owners = new Set([...ids].map((id) => routing.shardFor(collection, id)));
  return {
    queried: routing.shards.filter((s) => owners.has(s)),
    pruned: routing.shards.filter((s) => !owners.has(s)),
  };
}

/**
 * The only ids that can match `filter`, or null when it does not pin them.
 * AND intersects what its children pin; OR pins only when every child does.
 */
export function pinnedIds(filter: Expr): Set<string> | null {
  switch (filter.kind) {
    case "compare":
      if (!isIdPath(filter.path) || filter.op !== "==") return null;
      return new Set(typeof filter.value === "string" ? [filter.value] : []);
    case "in":
      if (!isIdPath(filter.path) || filter.negated) return null;
      return new Set(filter.values.filter((v): v is string => typeof v === "string"));
    case "and": {
      let result: Set<string> | null = null;
      for (const child of filter.children) {
        const ids = pinnedIds(child);
        if (ids === null) continue;
        const pinned: Set<string> = ids;
        result = result === null ? pinned : new Set([...result].filter((id: string) => pinned.has(id)));
      }
      return result;
    }
    case "or": {
      const result = new Set<string>();
      for (const child of filter.children) {
        const ids = pinnedIds(child);
        if (ids === null) return null;
        for (const id of ids) result.add(id);
      }
      return result;
    }
    default:
      return null;
  }
}
