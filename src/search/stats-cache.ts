/**
 * The Worker's cache of a search's global statistics (README.md, "The
 * statistics pass, cached"). A search's statistics (N, total tokens, each
 * phrase's documents, the typo variants chosen) are a function of the
 * shards' text indexes alone, and each shard's index has a generation that
 * every change of it moves, in the same transaction (text-index.ts). So
 * statistics gathered when shard i was at generation g_i are exactly those
 * a fresh statistics pass would gather while every shard is still at g_i.
 *
 * A repeated search then skips its statistics pass: the Worker sends the
 * scoring pass at once with the cached statistics, each shard reports the
 * generation it scored at, and if any differs from the cached one the
 * page is thrown away and run again with both passes (search-executor.ts
 * `runSearchPage`). Never for a caller bound by a read rule (its
 * statistics are its own, readable-stats.ts), nor on a shard leaving out
 * rows it releases after a resharding: such shards report no generation.
 */
import type { SearchTextFieldSpec } from "./catalog.js";
import type { CompiledSearch } from "./compile.js";
import type { SearchNode } from "./query-parser.js";
import { SEARCH_STATS_CACHE_ENTRIES_MAX } from "./limits.js";

/** What a statistics pass settled, with the generation each shard answered at. */
export interface CachedSearchStats {
  /** Per shard of the key's routing table, in its order: the text index generation its statistics were read at. */
  readonly generations: readonly number[];
  readonly compiled: CompiledSearch;
  readonly expansions: Readonly<Record<string, readonly string[]>>;
  readonly textFields: readonly SearchTextFieldSpec[];
  readonly documents: number;
  readonly tokens: number;
  /** Per compiled phrase: documents containing it over all shards. */
  readonly phraseDocuments: readonly number[];
}

/** Thrown by a scoring call whose shard reports another generation than the cached statistics': the page is run again with both passes. */
export class StaleSearchStatistics extends Error {
  constructor(shard: string) {
    super(`the text index of shard ${shard} changed since its statistics were cached`);
    this.name = "StaleSearchStatistics";
  }
}

/**
 * The key of a search's statistics: the routing table (version and shards,
 * so a resharding never meets an old entry), the collection, and the parsed
 * search with its `exact` flag (the statistics depend on nothing else: not
 * the filter, the page, the projection or a geo condition).
 */
export function statsCacheKey(routingVersion: number, shards: readonly string[], collection: string, node: SearchNode, exact: boolean): string {
  return JSON.stringify([routingVersion, shards, collection, exact, node]);
}

/** A bounded least-recently-used map of statistics, SEARCH_STATS_CACHE_ENTRIES_MAX entries by default. */
export class SearchStatsCache {
  readonly #entries = new Map<string, CachedSearchStats>();

  /** @param entriesMax the most entries kept (at least 1). */
  constructor(private readonly entriesMax: number = SEARCH_STATS_CACHE_ENTRIES_MAX) {
    if (!(Number.isInteger(entriesMax) && entriesMax >= 1)) throw new Error("invariant broken: a statistics cache keeps at least one entry");
  }

  /** The entry of `key`, made the most recently used; undefined when none. */
  get(key: string): CachedSearchStats | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry;
  }

  /** Keeps `entry` under `key`, dropping the least recently used entry past the bound. */
  set(key: string, entry: CachedSearchStats): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    while (this.#entries.size > this.entriesMax) this.#entries.delete(this.#entries.keys().next().value!);
  }

  /** Forgets `key` (its statistics were found stale). */
  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** Entries kept. */
  get size(): number {
    return this.#entries.size;
  }
}
