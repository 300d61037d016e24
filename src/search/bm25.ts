/**
 * BM25 exactly as SQLite FTS5's `bm25()` computes it (fts5_aux.c,
 * fts5Bm25Function), but with statistics given by the caller, so every
 * shard scores with the GLOBAL statistics of all shards and a ranking on 8
 * shards equals the ranking on one database:
 *
 *   score = sum over phrases i of IDF(i) * f(i) * (k1 + 1) / (f(i) + k1 * (1 - b + b * D / avgdl))
 *
 * with k1 = 1.2, b = 0.75; IDF(i) = ln((N - n(i) + 0.5) / (n(i) + 0.5)),
 * replaced by 1e-6 when it is not positive; n(i) the documents containing
 * phrase i; f(i) the phrase's instances in the document, each counted with
 * its column's weight; D the document's tokens over all columns; avgdl the
 * total tokens / N. FTS5 returns the negation (lower is better); we return
 * the score itself (higher is better).
 */
import type { CompiledNode, CompiledPhrase } from "./compile.js";

/** BM25's k1 (term frequency saturation), as FTS5 uses it. */
export const BM25_K1 = 1.2;
/** BM25's b (length normalisation), as FTS5 uses it. */
export const BM25_B = 0.75;
const K1 = BM25_K1;
const B = BM25_B;

/** The IDF FTS5 uses for a phrase in `documents` of which `containing` contain it. */
export function idf(documents: number, containing: number): number {
  const value = Math.log((documents - containing + 0.5) / (containing + 0.5));
  return value <= 0 ? 1e-6 : value;
}

/** BM25 of one document: `freqs[i]` is phrase i's weighted frequency, `length` its tokens (D). */
export function bm25(idfs: readonly number[], freqs: readonly number[], length: number, averageLength: number): number {
  let score = 0;
  for (let i = 0; i < idfs.length; i++) {
    const f = freqs[i]!;
    score += idfs[i]! * ((f * (K1 + 1)) / (f + K1 * (1 - B + (B * length) / averageLength)));
  }
  return score;
}

/**
 * The instances of each phrase in each column of a document whose columns
 * hold `columns` tokens: where the phrase's tokens occur in a row (the last
 * one as a prefix for a prefix phrase), overlapping ones counted, as FTS5
 * lists instances.
 */
export function phraseInstances(phrases: readonly CompiledPhrase[], columns: ReadonlyArray<readonly string[]>): number[][] {
  return createFrequencies(phrases).instances(columns);
}

/**
 * Counts instances for many documents: one pass over each column's tokens
 * finds every plain one-word phrase (a map from word to phrases); prefix
 * and multi-word phrases are matched position by position.
 */
function createFrequencies(phrases: readonly CompiledPhrase[]) {
  const single = new Map<string, number[]>();
  const general: number[] = [];
  phrases.forEach((p, i) => {
    if (p.tokens.length === 1 && !p.prefix) {
      const list = single.get(p.tokens[0]!);
      if (list === undefined) single.set(p.tokens[0]!, [i]);
      else list.push(i);
    } else {
      general.push(i);
    }
  });
  return {
    instances(columns: ReadonlyArray<readonly string[]>): number[][] {
      const found = phrases.map(() => columns.map(() => 0));
      columns.forEach((tokens, c) => {
        if (single.size > 0) {
          for (const token of tokens) {
            const hit = single.get(token);
            if (hit !== undefined) for (const i of hit) found[i]![c]!++;
          }
        }
        for (const i of general) found[i]![c] = instances(phrases[i]!, tokens);
      });
      return found;
    },
  };
}

/**
 * Which phrases' instances bm25() counts in a document the expression
 * matches. FTS5 reports a phrase's instances when the phrase's node sits on
 * the current row; walking its iterators (fts5_expr.c) that holds exactly
 * when the document matches every node on the path from the root to the
 * phrase, and the path never passes through the right side of a NOT (a NOT
 * never sits on a row its right side matches, and a NOT at its end zeroes
 * its right side's lists). So in `(a AND b) OR c`, a document holding `a`
 * and `c` but not `b` counts `c` only. This is a property of the
 * expression and the document alone, so it is the same on every shard.
 */
export function countedPhrases(tree: CompiledNode, present: readonly boolean[]): boolean[] {
  const counted = present.map(() => false);
  mark(tree, present, counted);
  return counted;
}

function matchesNode(n: CompiledNode, present: readonly boolean[]): boolean {
  switch (n.kind) {
    case "phrase":
      return present[n.index]!;
    case "and":
      return n.children.every((c) => matchesNode(c, present));
    case "or":
      return n.children.some((c) => matchesNode(c, present));
    case "not":
      return matchesNode(n.left, present) && !matchesNode(n.right, present);
  }
}

function mark(n: CompiledNode, present: readonly boolean[], counted: boolean[]): void {
  if (!matchesNode(n, present)) return;
  switch (n.kind) {
    case "phrase":
      counted[n.index] = true;
      return;
    case "and":
    case "or":
      for (const c of n.children) mark(c, present, counted);
      return;
    case "not":
      mark(n.left, present, counted);
      return;
  }
}

/**
 * A scorer for many documents of one query: the weighted frequency of each
 * phrase bm25() uses (its counted instances, each times its column's
 * weight), for a document whose columns hold `columns` tokens.
 */
export function createPhraseFrequencies(tree: CompiledNode, phrases: readonly CompiledPhrase[], weights: readonly number[]): (columns: ReadonlyArray<readonly string[]>) => number[] {
  const counter = createFrequencies(phrases);
  return (columns) => {
    const found = counter.instances(columns);
    const counted = countedPhrases(tree, found.map((perColumn) => perColumn.some((n) => n > 0)));
    return found.map((perColumn, i) => (counted[i] ? perColumn.reduce((sum, n, c) => sum + n * weights[c]!, 0) : 0));
  };
}

/**
 * createPhraseFrequencies for columns given as stored: each column's tokens
 * joined by single spaces (text-index.ts). When every phrase is one plain
 * word, each is counted in the text itself (indexOf at token boundaries),
 * without splitting it into tokens and hashing each one: the one-pass
 * candidates of a rare term spent a tenth of the search's CPU there.
 */
export function createTextFrequencies(tree: CompiledNode, phrases: readonly CompiledPhrase[], weights: readonly number[]): (texts: readonly string[]) => number[] {
  const byTokens = createPhraseFrequencies(tree, phrases, weights);
  if (!phrases.every(isPlainWord)) return (texts) => byTokens(texts.map(splitTokens));
  const words = phrases.map((p) => p.tokens[0]!);
  const byCounts = createCountFrequencies(tree, weights);
  return (texts) => byCounts(words.map((word) => texts.map((text) => occurrences(text, word))));
}

/** A phrase of one word, not a prefix: its instances are that token's occurrences. */
export function isPlainWord(p: CompiledPhrase): boolean {
  return p.tokens.length === 1 && !p.prefix;
}

/**
 * createPhraseFrequencies from instances already counted: `found[i][c]` is
 * phrase i's instances in column c (e.g. read from the index's fts5vocab
 * instance table, one-pass.ts). The same arithmetic in the same order, so
 * the weighted frequencies are bit for bit those counted in the tokens.
 */
export function createCountFrequencies(tree: CompiledNode, weights: readonly number[]): (found: ReadonlyArray<readonly number[]>) => number[] {
  return (found) => {
    const counted = countedPhrases(tree, found.map((perColumn) => perColumn.some((n) => n > 0)));
    return found.map((perColumn, i) => (counted[i] ? perColumn.reduce((sum, n, c) => sum + n * weights[c]!, 0) : 0));
  };
}

/** A column's stored text as its tokens. */
export function splitTokens(text: string): string[] {
  return text === "" ? [] : text.split(" ");
}

/** How many of the space-separated tokens of `text` are exactly `word`. */
function occurrences(text: string, word: string): number {
  let n = 0;
  for (let at = text.indexOf(word); at >= 0; at = text.indexOf(word, at + 1)) {
    const end = at + word.length;
    if ((at === 0 || text.charCodeAt(at - 1) === 32) && (end === text.length || text.charCodeAt(end) === 32)) n++;
  }
  return n;
}

/** The weighted frequencies of one document (createPhraseFrequencies for a single use). */
export function phraseFrequencies(tree: CompiledNode, phrases: readonly CompiledPhrase[], columns: ReadonlyArray<readonly string[]>, weights: readonly number[]): number[] {
  return createPhraseFrequencies(tree, phrases, weights)(columns);
}

function instances(p: CompiledPhrase, tokens: readonly string[]): number {
  const m = p.tokens.length;
  let count = 0;
  for (let i = 0; i + m <= tokens.length; i++) {
    let hit = true;
    for (let j = 0; j < m; j++) {
      const want = p.tokens[j]!;
      const got = tokens[i + j]!;
      if (p.prefix && j === m - 1 ? !got.startsWith(want) : got !== want) {
        hit = false;
        break;
      }
    }
    if (hit) count++;
  }
  return count;
}
