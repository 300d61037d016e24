/**
 * createTextFrequencies (src/search/bm25.ts) counts one-word phrases in a
 * column's stored text without splitting it: it must give exactly what
 * createPhraseFrequencies gives for the same columns split into tokens
 * (words that are prefixes, suffixes or repeats of others included).
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createPhraseFrequencies, createTextFrequencies, splitTokens } from "../../../src/search/bm25.js";
import { compileSearch } from "../../../src/search/compile.js";
import { parseSearchText } from "../../../src/search/query-parser.js";

const WORDS = ["a", "aa", "aaa", "ab", "ba", "bab", "b", "abab"];

describe("createTextFrequencies", () => {
  it("equals createPhraseFrequencies over the split columns", () => {
    const query = fc.oneof(
      fc.constantFrom(...WORDS),
      fc.tuple(fc.constantFrom(...WORDS), fc.constantFrom(...WORDS)).map(([x, y]) => `${x} ${y}`),
      fc.tuple(fc.constantFrom(...WORDS), fc.constantFrom(...WORDS)).map(([x, y]) => `${x} OR ${y}`),
      fc.tuple(fc.constantFrom(...WORDS), fc.constantFrom(...WORDS)).map(([x, y]) => `"${x} ${y}"`),
      fc.constantFrom(...WORDS.filter((w) => w.length >= 2)).map((x) => `${x}*`),
    );
    const column = fc.array(fc.constantFrom(...WORDS), { maxLength: 12 }).map((ws) => ws.join(" "));
    fc.assert(
      fc.property(query, fc.tuple(column, column), (text, columns) => {
        const compiled = compileSearch(parseSearchText(text), new Map());
        const weights = [2, 1];
        const expected = createPhraseFrequencies(compiled.tree, compiled.phrases, weights)(columns.map(splitTokens));
        expect(createTextFrequencies(compiled.tree, compiled.phrases, weights)(columns)).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });
});
