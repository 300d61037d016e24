/**
 * Typo tolerance: which vocabulary words a term also matches. A term of at
 * least SEARCH_TYPO_ONE_EDIT_LENGTH_MIN characters matches words one edit
 * away, of at least SEARCH_TYPO_TWO_EDITS_LENGTH_MIN two edits away, where
 * an edit is an insertion, deletion, substitution or transposition of two
 * neighbouring characters (optimal string alignment distance, a restricted
 * Damerau-Levenshtein: a transposition is the commonest typo).
 *
 * The vocabulary scan is bounded: only words that share the term's first
 * character are looked at (a range of the fts5vocab table, kept in memory
 * per text index generation by vocabulary-cache.ts), at most
 * SEARCH_TYPO_SCAN_ROWS_MAX words per term; past that on any shard the
 * term is matched as typed, rather than expanded differently depending on
 * how words fall on shards. A term found as typed on any shard is not
 * expanded either: a word that exists means what it says, and its rarer
 * neighbours would outrank it by their higher IDF ("color" found "colour"
 * above twenty documents saying "color").
 * Of the words found on all shards, the SEARCH_TYPO_EXPANSIONS_MAX nearest
 * are kept (fewer edits first, then more documents, then the word's UTF-16 order).
 * A caller bound by a read rule scans the words of its readable documents
 * instead of the vocabulary (readable-stats.ts), whose size depends on
 * hidden ones.
 */
import { SEARCH_TYPO_EXPANSIONS_MAX, SEARCH_TYPO_ONE_EDIT_LENGTH_MIN, SEARCH_TYPO_TWO_EDITS_LENGTH_MIN } from "./limits.js";

/** The edits a term of `length` characters tolerates. */
export function editsAllowed(length: number): number {
  return length >= SEARCH_TYPO_TWO_EDITS_LENGTH_MIN ? 2 : length >= SEARCH_TYPO_ONE_EDIT_LENGTH_MIN ? 1 : 0;
}

/** The optimal string alignment distance between `a` and `b` (code points), or `max + 1` once it exceeds `max`. */
export function editDistance(a: string, b: string, max: number): number {
  const s = [...a];
  const t = [...b];
  if (Math.abs(s.length - t.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      row.push(d);
      if (d < best) best = d;
    }
    if (best > max) return max + 1;
    prev2 = prev;
    prev = row;
  }
  return Math.min(prev[t.length]!, max + 1);
}

/** A vocabulary word near a term, with the documents containing it. */
export interface Variant {
  readonly word: string;
  readonly edits: number;
  readonly documents: number;
}

/** The code-point range `[low, high)` of words starting with the term's first character. */
export function vocabularyRange(term: string): { low: string; high: string } {
  const first = [...term][0]!;
  return { low: first, high: String.fromCodePoint(first.codePointAt(0)! + 1) };
}

/** Merges the variants shards found (summing documents) and keeps the nearest SEARCH_TYPO_EXPANSIONS_MAX, the term itself excluded. */
export function chooseVariants(term: string, found: ReadonlyArray<readonly Variant[]>): Variant[] {
  const merged = new Map<string, Variant>();
  for (const list of found) {
    for (const v of list) {
      if (v.word === term) continue;
      const seen = merged.get(v.word);
      merged.set(v.word, { word: v.word, edits: v.edits, documents: (seen?.documents ?? 0) + v.documents });
    }
  }
  return [...merged.values()]
    .sort((a, b) => a.edits - b.edits || b.documents - a.documents || (a.word < b.word ? -1 : a.word > b.word ? 1 : 0))
    .slice(0, SEARCH_TYPO_EXPANSIONS_MAX);
}
