/**
 * A shard's in-memory cache of what its search statistics read from
 * fts5vocab, per collection and text index generation:
 *
 * - the vocabulary ranges typo tolerance scans: the words of the index
 *   that start with one character (reading them walks the index's terms,
 *   milliseconds per range);
 * - the document count of single words (a phrase of one word, a term's
 *   "found as typed" check, each typo variant's count): fts5vocab counts a
 *   word's documents by reading all its postings, about 0.1 ms for a rare
 *   word on each shard and search, more for a common one;
 * - each typo-tolerant term's variants on this shard (the words of its
 *   range within its edit budget, with their counts): finding them
 *   measures the edit distance to every word of the range.
 * - a rare word's postings (at most SEARCH_ONE_PASS_CANDIDATES_MAX
 *   documents: each one's row, id, length and instances per column), what
 *   a one-pass answer reads from FTS5 for it (one-pass.ts): looking a word
 *   up in FTS5 took about 130 µs on each shard and search (12,500
 *   documents a shard, one segment, workerd, 2026-12-02), the documents
 *   themselves are still read every time.
 *
 * Entries are keyed by the text index's generation (search_text_stats,
 * bumped in the same transaction as every change of the index, whichever
 * write path made it), so a write to the collection on this shard makes
 * all of the collection's entries stale at once and the next search reads
 * again. At most SEARCH_VOCABULARY_CACHE_WORDS_MAX range words and
 * SEARCH_VOCABULARY_CACHE_COUNTS_MAX word counts, variants and postings (a
 * term's entry counts one per variant and one more, a word's postings one
 * per document and one more) are kept; past either the
 * cache is emptied (a cache, not state: losing it costs only time).
 */
import { SEARCH_ONE_PASS_CANDIDATES_MAX, SEARCH_VOCABULARY_CACHE_COUNTS_MAX, SEARCH_VOCABULARY_CACHE_WORDS_MAX } from "./limits.js";
import type { Variant } from "./typo.js";

/** A term's variants on a shard, or `too_many` when its range passes SEARCH_TYPO_SCAN_ROWS_MAX words (shard-search.ts TypoAnswer). */
export type ShardVariants = readonly Variant[] | "too_many";

/** One collection's cached reads, all of one generation of its index. */
interface CollectionEntry {
  readonly generation: number;
  readonly ranges: Map<string, readonly string[]>;
  readonly counts: Map<string, number>;
  /** By `${edits}\u0000${term}`. */
  readonly variants: Map<string, ShardVariants>;
  readonly postings: Map<string, readonly WordPosting[]>;
}

/** A document holding a word, as a one-pass answer scores it (one-pass.ts). */
export interface WordPosting {
  /** The document's row in the collection's FTS5 table (search_text_docs.row_id). */
  readonly rowId: number;
  readonly id: string;
  /** Its tokens over all text fields (BM25's D). */
  readonly length: number;
  /** The word's instances in each text field, in field order. */
  readonly counts: readonly number[];
}

/** The cache; one per shard object. */
export class VocabularyCache {
  private readonly entries = new Map<string, CollectionEntry>();
  private words = 0;
  private counts = 0;

  /** The words of `collection` in the range starting at `low` at `generation`, reading them with `load` when not cached. */
  range(collection: string, low: string, generation: number, load: () => string[]): readonly string[] {
    const entry = this.current(collection, generation);
    const hit = entry.ranges.get(low);
    if (hit !== undefined) return hit;
    const words = load();
    if (this.words + words.length > SEARCH_VOCABULARY_CACHE_WORDS_MAX) this.clear();
    if (words.length <= SEARCH_VOCABULARY_CACHE_WORDS_MAX) {
      this.current(collection, generation).ranges.set(low, words);
      this.words += words.length;
    }
    return words;
  }

  /** The documents of `collection` holding `word` at `generation` when cached; undefined otherwise (nothing is read). */
  known(collection: string, word: string, generation: number): number | undefined {
    const entry = this.entries.get(collection);
    return entry !== undefined && entry.generation === generation ? entry.counts.get(word) : undefined;
  }

  /** The documents of `collection` holding `word` at `generation`, counting them with `load` when not cached. */
  documents(collection: string, word: string, generation: number, load: () => number): number {
    const entry = this.current(collection, generation);
    const hit = entry.counts.get(word);
    if (hit !== undefined) return hit;
    const n = load();
    if (this.counts + 1 > SEARCH_VOCABULARY_CACHE_COUNTS_MAX) this.clear();
    this.current(collection, generation).counts.set(word, n);
    this.counts++;
    return n;
  }

  /** The variants of `term` within `edits` in `collection` at `generation`, finding them with `find` when not cached. */
  variants(collection: string, term: string, edits: number, generation: number, find: () => ShardVariants): ShardVariants {
    const key = `${edits}\u0000${term}`;
    const hit = this.current(collection, generation).variants.get(key);
    if (hit !== undefined) return hit;
    const found = find();
    const size = 1 + (found === "too_many" ? 0 : found.length);
    if (this.counts + size > SEARCH_VOCABULARY_CACHE_COUNTS_MAX) this.clear();
    this.current(collection, generation).variants.set(key, found);
    this.counts += size;
    return found;
  }

  /** The postings of `word` in `collection` at `generation` when kept; undefined otherwise. */
  wordPostings(collection: string, word: string, generation: number): readonly WordPosting[] | undefined {
    const entry = this.entries.get(collection);
    return entry !== undefined && entry.generation === generation ? entry.postings.get(word) : undefined;
  }

  /** Keeps the postings of a rare `word` (at most SEARCH_ONE_PASS_CANDIDATES_MAX) read at `generation`. */
  keepWordPostings(collection: string, word: string, generation: number, postings: readonly WordPosting[]): void {
    if (postings.length > SEARCH_ONE_PASS_CANDIDATES_MAX) throw new Error("invariant broken: only a rare word's postings are kept");
    const entry = this.current(collection, generation);
    if (entry.postings.has(word)) return;
    if (this.counts + 1 + postings.length > SEARCH_VOCABULARY_CACHE_COUNTS_MAX) this.clear();
    this.current(collection, generation).postings.set(word, postings);
    this.counts += 1 + postings.length;
  }

  /** Forgets a collection (its index was dropped). */
  forget(collection: string): void {
    const entry = this.entries.get(collection);
    if (entry !== undefined) this.drop(collection, entry);
  }

  /** The collection's entry at `generation`, a fresh one when the cached entry is of another generation. */
  private current(collection: string, generation: number): CollectionEntry {
    const entry = this.entries.get(collection);
    if (entry !== undefined && entry.generation === generation) return entry;
    if (entry !== undefined) this.drop(collection, entry);
    const fresh: CollectionEntry = { generation, ranges: new Map(), counts: new Map(), variants: new Map(), postings: new Map() };
    this.entries.set(collection, fresh);
    return fresh;
  }

  private drop(collection: string, entry: CollectionEntry): void {
    for (const words of entry.ranges.values()) this.words -= words.length;
    this.counts -= entry.counts.size;
    for (const found of entry.variants.values()) this.counts -= 1 + (found === "too_many" ? 0 : found.length);
    for (const postings of entry.postings.values()) this.counts -= 1 + postings.length;
    this.entries.delete(collection);
  }

  private clear(): void {
    this.entries.clear();
    this.words = 0;
    this.counts = 0;
  }
}
