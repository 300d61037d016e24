/**
 * Merging the shards' pages of collection names into one page of
 * ListCollections. Each shard answers its names after the cursor, in order,
 * up to the page size, and says whether it has more. A name past the last
 * one of a shard that has more may exist on that shard unseen, so the page
 * stops at the smallest such last name: every name on the page then comes
 * with the counts of every shard that holds it.
 */
import type { ShardCollectionsPage } from "../storage/types.js";

/** A collection with its document count summed over shards. */
export interface MergedCollection {
  readonly name: string;
  readonly documentCount: number;
}

/** The merged page, and whether names remain after its last one. */
export interface MergedCollectionsPage {
  readonly collections: readonly MergedCollection[];
  readonly more: boolean;
}

/** Merges shard pages into the first `pageSize` names, in order. */
export function mergeCollectionPages(pages: readonly ShardCollectionsPage[], pageSize: number): MergedCollectionsPage {
  let stopAt: string | null = null;
  for (const page of pages) {
    const last = page.collections[page.collections.length - 1];
    if (page.hasMore && last !== undefined && (stopAt === null || last.name < stopAt)) stopAt = last.name;
  }
  const counts = new Map<string, number>();
  for (const page of pages) {
    for (const c of page.collections) {
      if (stopAt !== null && c.name > stopAt) continue;
      counts.set(c.name, (counts.get(c.name) ?? 0) + c.documentCount);
    }
  }
  const names = [...counts.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const collections = names.slice(0, pageSize).map((name) => ({ name, documentCount: counts.get(name)! }));
  return { collections, more: names.length > pageSize || stopAt !== null };
}
