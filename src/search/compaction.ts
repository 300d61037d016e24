/**
 * Compaction of a shard's text indexes: FTS5 segments merged into one once
 * an index is at rest.
 *
 * Every transaction that indexes documents writes a new FTS5 segment (a
 * b-tree of its terms); FTS5 merges segments incrementally as they pile up
 * (its `automerge`, by default 4 segments of a level into one of the next),
 * so an index written steadily keeps a few segments per level, and every
 * term lookup probes each of them. On one shard of bench/search.ts's corpus
 * (12,500 documents, 17 segments after its backfill) finding a rare word's
 * documents took about 150 µs against about 40 µs once the segments were
 * merged into one (workerd, 2026-12-02): a search pays that on each of the
 * shards, where one database pays it once.
 *
 * So the shard's alarm compacts an index once it has gone unchanged for
 * SEARCH_COMPACT_IDLE_MS: FTS5's `merge` command with a negative page count
 * (https://sqlite.org/fts5.html, "The 'merge' Command": all segments are
 * taken as one level, and as few as two are merged), SEARCH_COMPACT_PAGES_PER_STEP
 * pages per alarm call, until a call does no work (FTS5 documents that as
 * total_changes() moving by less than 2). It is the same work as the
 * `optimize` command, cut into bounded steps so no step holds the shard
 * long; writes may come between steps (the next change postpones the rest,
 * and the index answers the same either way: compaction changes no
 * document, count or score, so the index's generation stays).
 *
 * The Lucene analogue is force-merging an index that stopped changing; the
 * idle delay keeps a shard under steady writes from rewriting its index
 * over and over.
 *
 * Bookkeeping (search_text_stats, catalog.ts migration 2): `changed_ms`,
 * set when maintenance indexes a collection's documents, and
 * `compacted_generation`, the generation at the last finished compaction;
 * an index is due when its generation differs from it, at changed_ms +
 * SEARCH_COMPACT_IDLE_MS (at once when changed_ms is unknown).
 */
import type { SearchSql } from "./catalog.js";
import { SEARCH_COMPACT_IDLE_MS, SEARCH_COMPACT_PAGES_PER_STEP } from "./limits.js";
import { ftsTableName } from "./text-index.js";

/** Records that maintenance changed the text indexes of `collections` at `nowMs` (search-maintenance.ts). */
export function markTextChanged(sql: SearchSql, collections: Iterable<string>, nowMs: number): void {
  for (const collection of collections) sql.exec("UPDATE search_text_stats SET changed_ms = ? WHERE collection = ?", nowMs, collection);
}

/** When the next text index on this shard is due for compaction (ms since the epoch), or null when none is. */
export function nextCompactionMs(sql: SearchSql): number | null {
  const row = sql
    .exec<{ due: number | null }>("SELECT min(coalesce(changed_ms, 0)) AS due FROM search_text_stats WHERE compacted_generation IS NOT generation")
    .toArray()[0];
  return row?.due == null ? null : row.due + SEARCH_COMPACT_IDLE_MS;
}

/** What one compaction step did. */
export interface CompactionStep {
  /** The collection whose index was worked on; null when none was due. */
  readonly collection: string | null;
  /** True when the index is now one segment (its compacted generation recorded). */
  readonly finished: boolean;
}

/**
 * One bounded step of compacting the text index that is due first at
 * `nowMs` (none when none is due): SEARCH_COMPACT_PAGES_PER_STEP pages of
 * FTS5 merging, or, when a merge finds nothing to do, the index recorded
 * as compacted at its current generation. Run it inside a transaction (the
 * merge and the bookkeeping commit together).
 */
export function compactionStep(sql: SearchSql, nowMs: number): CompactionStep {
  const due = sql
    .exec<{ collection: string; generation: number }>(
      "SELECT collection, generation FROM search_text_stats WHERE compacted_generation IS NOT generation AND coalesce(changed_ms, 0) <= ? ORDER BY coalesce(changed_ms, 0), collection LIMIT 1",
      nowMs - SEARCH_COMPACT_IDLE_MS,
    )
    .toArray()[0];
  if (due === undefined) return { collection: null, finished: false };
  const table = ftsTableName(due.collection);
  const before = totalChanges(sql);
  sql.exec(`INSERT INTO "${table}" ("${table}", rank) VALUES ('merge', ?)`, -SEARCH_COMPACT_PAGES_PER_STEP);
  // FTS5's documented test of a merge that did nothing: total_changes() moved by less than 2.
  if (totalChanges(sql) - before >= 2) return { collection: due.collection, finished: false };
  sql.exec("UPDATE search_text_stats SET compacted_generation = generation WHERE collection = ?", due.collection);
  return { collection: due.collection, finished: true };
}

/**
 * Records the index due first at `nowMs` as compacted without merging it:
 * after a step failed, so the alarm does not retry it at once, over and
 * over (the next change of the index makes it due again).
 */
export function skipCompaction(sql: SearchSql, nowMs: number): void {
  sql.exec(
    "UPDATE search_text_stats SET compacted_generation = generation WHERE collection = (SELECT collection FROM search_text_stats WHERE compacted_generation IS NOT generation AND coalesce(changed_ms, 0) <= ? ORDER BY coalesce(changed_ms, 0), collection LIMIT 1)",
    nowMs - SEARCH_COMPACT_IDLE_MS,
  );
}

function totalChanges(sql: SearchSql): number {
  return sql.exec<{ n: number }>("SELECT total_changes() AS n").toArray()[0]!.n;
}
