/**
 * A shard's in-memory cache of its vocabulary ranges for typo tolerance:
 * the words of a collection's text index that start with one character, as
 * fts5vocab lists them (reading them costs a walk of the index's terms,
 * milliseconds per range). An entry is keyed by the text index's
 * generation (search_text_stats, bumped by every change of the index), so a
 * write makes the collection's entries stale and the next search reads the
 * range again. At most SEARCH_VOCABULARY_CACHE_WORDS_MAX words are kept;
 * past that the cache is emptied (a cache, not state: losing it costs only
 * time).
 */
import { SEARCH_VOCABULARY_CACHE_WORDS_MAX } from "./limits.js";

/** The cache; one per shard object. */
export class VocabularyCache {
  private readonly entries = new Map<string, { generation: number; words: readonly string[] }>();
  private words = 0;

  /** The words of `collection` in [low, high) at `generation`, reading them with `load` when not cached. */
  range(collection: string, low: string, generation: number, load: () => string[]): readonly string[] {
    const key = `${collection}\u0000${low}`;
    const hit = this.entries.get(key);
    if (hit !== undefined && hit.generation === generation) return hit.words;
    const words = load();
    if (hit !== undefined) this.words -= hit.words.length;
    if (this.words + words.length > SEARCH_VOCABULARY_CACHE_WORDS_MAX) {
      this.entries.clear();
      this.words = 0;
    }
    if (words.length <= SEARCH_VOCABULARY_CACHE_WORDS_MAX) {
      this.entries.set(key, { generation, words });
      this.words += words.length;
    }
    return words;
  }

  /** Forgets a collection (its index was dropped). */
  forget(collection: string): void {
    for (const [key, entry] of this.entries) {
      if (key.startsWith(`${collection}\u0000`)) {
        this.words -= entry.words.length;
        this.entries.delete(key);
      }
    }
  }
}
