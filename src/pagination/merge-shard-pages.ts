/**
 * The merge step of listing a collection across shards, kept pure so it is
 * tested in plain Node: each shard sends its next ids in order, possibly
 * fewer than asked when its reply reached its byte budget.
 */
import type { StoredDocument } from "../storage/types.js";

/**
 * Merges shards' pages in id order into up to `pageSize` documents that
 * are surely the next ones: none past the last id of a shard that has
 * more, since that shard's next ids are not in the merge.
 */
export function mergeShardPages(
  pages: ReadonlyArray<{ readonly documents: readonly StoredDocument[]; readonly hasMore: boolean }>,
  pageSize: number,
): { documents: StoredDocument[]; more: boolean } {
  let horizon: string | null = null;
  for (const p of pages) {
    const lastId = p.documents[p.documents.length - 1]?.id;
    if (p.hasMore && lastId !== undefined && (horizon === null || lastId < horizon)) horizon = lastId;
  }
  const merged = pages
    .flatMap((p) => p.documents)
    .filter((d) => horizon === null || d.id <= horizon)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const documents = merged.slice(0, pageSize);
  return { documents, more: merged.length > pageSize || pages.some((p) => p.hasMore) };
}
