/**
 * A shard's cache of fts5vocab reads (src/search/vocabulary-cache.ts):
 * kept while the collection's index generation stays, dropped whole when
 * it moves (any write to the index), and bounded.
 */
import { describe, expect, it } from "vitest";
import { SEARCH_VOCABULARY_CACHE_COUNTS_MAX } from "../../../src/search/limits.js";
import { VocabularyCache } from "../../../src/search/vocabulary-cache.js";

describe("VocabularyCache", () => {
  it("keeps word counts and ranges until the collection's generation moves", () => {
    const cache = new VocabularyCache();
    let loads = 0;
    const count = (n: number) => () => (loads++, n);
    expect(cache.documents("c", "fox", 1, count(3))).toBe(3);
    expect(cache.documents("c", "fox", 1, count(99))).toBe(3);
    expect(cache.range("c", "f", 1, () => (loads++, ["fox", "foxes"]))).toEqual(["fox", "foxes"]);
    expect(cache.range("c", "f", 1, () => (loads++, []))).toEqual(["fox", "foxes"]);
    expect(loads).toBe(2);
    // Another collection has its own generation.
    expect(cache.documents("d", "fox", 7, count(1))).toBe(1);
    // A write (generation 2) makes every entry of the collection stale.
    expect(cache.documents("c", "fox", 2, count(4))).toBe(4);
    expect(cache.range("c", "f", 2, () => (loads++, ["fox"]))).toEqual(["fox"]);
    expect(cache.documents("d", "fox", 7, count(99))).toBe(1);
    cache.forget("d");
    expect(cache.documents("d", "fox", 7, count(2))).toBe(2);
    expect(loads).toBe(6);
  });

  it("keeps a term's variants until the collection's generation moves", () => {
    const cache = new VocabularyCache();
    const near = [{ word: "foxes", edits: 1, documents: 2 }];
    expect(cache.variants("c", "foxez", 1, 1, () => near)).toEqual(near);
    expect(cache.variants("c", "foxez", 1, 1, () => "too_many")).toEqual(near);
    // Another edit budget is another entry; another generation finds them again.
    expect(cache.variants("c", "foxez", 2, 1, () => [])).toEqual([]);
    expect(cache.variants("c", "foxez", 1, 2, () => "too_many")).toBe("too_many");
  });

  it("keeps at most SEARCH_VOCABULARY_CACHE_COUNTS_MAX word counts", () => {
    const cache = new VocabularyCache();
    for (let i = 0; i < SEARCH_VOCABULARY_CACHE_COUNTS_MAX; i++) cache.documents("c", `w${i}`, 1, () => i);
    expect(cache.documents("c", "w0", 1, () => -1)).toBe(0);
    // One more empties the cache (a cache, not state).
    cache.documents("c", "extra", 1, () => 5);
    expect(cache.documents("c", "w0", 1, () => -1)).toBe(-1);
  });
});
