/**
 * The tokenizer (folding, offsets into the original text), the search text
 * parser (errors name the position; FTS5 syntax is plain text) and the
 * compiler (every phrase double-quoted, NOT binary and parenthesised).
 */
import { describe, expect, it } from "vitest";
import { FailureError } from "../../../src/errors.js";
import { compileSearch } from "../../../src/search/compile.js";
import { parseSearchText } from "../../../src/search/query-parser.js";
import { tokenize } from "../../../src/search/tokenizer.js";
import { highlights } from "../../../src/search/highlight.js";

const compiled = (text: string) => compileSearch(parseSearchText(text), new Map()).match;

function refusal(text: string): string {
  try {
    parseSearchText(text);
  } catch (err) {
    expect(err).toBeInstanceOf(FailureError);
    expect((err as FailureError).kind).toBe("invalid_argument");
    return (err as FailureError).message;
  }
  throw new Error(`${JSON.stringify(text)} was accepted`);
}

describe("tokenizer", () => {
  it("folds case and accents, splits on everything but letters and digits, and keeps original offsets", () => {
    const text = "Café, ZÜRICH! e\u0301te\u0301 x2 ½";
    expect(tokenize(text).map((t) => [t.text, text.slice(t.start, t.end)])).toEqual([
      ["cafe", "Café"],
      ["zurich", "ZÜRICH"],
      ["ete", "e\u0301te\u0301"],
      ["x2", "x2"],
      ["1", "½"],
      ["2", "½"],
    ]);
    expect(tokenize("ΣΟΦΟΣ σοφος").map((t) => t.text)).toEqual(["σοφοσ", "σοφοσ"]);
    expect(tokenize("👍 emoji😀word")).toEqual([{ text: "emoji", start: 3, end: 8 }, { text: "word", start: 10, end: 14 }]);
  });
});

describe("search text parser and compiler", () => {
  it("compiles terms, phrases, prefixes and operators to quoted FTS5 phrases", () => {
    expect(compiled("quick fox")).toBe('("quick" AND "fox")');
    expect(compiled('"Lazy  DOG" OR fox*')).toBe('("lazy dog" OR "fox" *)');
    expect(compiled("a NOT b NOT c")).toBe('(("a" NOT "b") NOT "c")');
    expect(compiled("(a OR b) c")).toBe('(("a" OR "b") AND "c")');
    // FTS5 syntax is text: a column filter is a phrase, NEAR a word, ^ and + separators.
    expect(compiled("title:fox")).toBe('"title fox"');
    expect(compiled("NEAR(a b)")).toBe('("near" AND ("a" AND "b"))');
    expect(compiled("^fox +dog")).toBe('("fox" AND "dog")');
    expect(compiled("and or not")).toBe('("and" AND "or" AND "not")');
    // A leading - excludes, as in Typesense and web search; inside a word or alone it is punctuation.
    expect(compiled("apple -pie")).toBe(compiled("apple NOT pie"));
    expect(compiled('cafe -"old town" -(zurich OR bern)')).toBe(compiled('cafe NOT "old town" NOT (zurich OR bern)'));
    expect(compiled("e-mail - x")).toBe('("e mail" AND "x")');
    expect(compiled("(a -b)")).toBe(compiled("a NOT b"));
    // The dashes autocorrect types for "-" exclude too.
    for (const dash of ["\u2212", "\u2013", "\u2014", "\u2010", "\uFF0D"]) expect(compiled(`pie ${dash}apple`), dash).toBe(compiled("pie NOT apple"));
    expect(compiled("pie \u2013 apple")).toBe('("pie" AND "apple")');
    expect(compileSearch(parseSearchText("apple pie"), new Map([["apple", ["appel", "aple"]]])).match).toBe('(("apple" OR "appel" OR "aple") AND "pie")');
  });

  it("refuses malformed text with INVALID_ARGUMENT naming the position", () => {
    expect(refusal('fox "lazy')).toMatch(/unterminated quote at position 5/);
    expect(refusal("(fox")).toMatch(/unbalanced "\(" at position 1/);
    expect(refusal("fox)")).toBe('query.search.text has an unbalanced ")" at position 4 (no "(" before it to close); remove it, or add the "(" it closes');
    expect(refusal("fox AND")).toMatch(/nothing after AND at position 5/);
    expect(refusal("OR fox")).toMatch(/nothing before OR at position 1/);
    expect(refusal("NOT house")).toBe("query.search.text has a NOT (or a leading -) at position 1 with no terms to exclude from; write the terms first (for example `apple NOT pie` or `apple -pie`)");
    expect(refusal("-house")).toMatch(/a NOT \(or a leading -\) at position 1 with no terms to exclude from/);
    expect(refusal("  -house -garden")).toMatch(/at position 3 with no terms to exclude from/);
    expect(refusal("(NOT house)")).toMatch(/at position 2 with no terms to exclude from/);
    expect(refusal("a --b")).toMatch(/excludes twice in a row \(NOT NOT, or a doubled -\) at position 3/);
    expect(refusal("pie -NOT apple")).toMatch(/excludes twice in a row/);
    expect(refusal("fox OR NOT dog")).toMatch(/has an OR branch that only excludes \(the NOT at position 8\)/);
    expect(refusal("fox OR -dog -cat")).toMatch(/only excludes \(the NOT at position 8\)/);
    expect(refusal("*")).toMatch(/prefix at position 1/);
    expect(refusal("a*")).toMatch(/SEARCH_PREFIX_LENGTH_MIN/);
    expect(refusal("& -")).toMatch(/no terms/);
    expect(refusal("(".repeat(20) + "x" + ")".repeat(20))).toMatch(/SEARCH_DEPTH_MAX/);
    expect(refusal("w ".repeat(33))).toMatch(/SEARCH_TERMS_MAX/);
    expect(refusal("x".repeat(1001))).toMatch(/SEARCH_TEXT_LENGTH_MAX/);
  });

  // Every syntax error says what is wrong, where, and what to write instead
  // ("unexpected ")" at position 5" said only the first); a rewrite it shows
  // in backquotes is itself a search text that parses. `a NOT` said
  // "unexpected end of text", `a NOT OR b` 'unexpected "OR"'.
  it("every refusal says what is wrong and, after '; ', what to write; its examples parse", () => {
    const cases: Array<[string, RegExp]> = [
      ["x".repeat(1001), /over SEARCH_TEXT_LENGTH_MAX \(1000\); shorten it/],
      ["fox)", /unbalanced "\)" at position 4 .*; remove it, or add the "\(" it closes$/],
      ["(fox", /unbalanced "\(" at position 1 .*; add the "\)" that closes it, or remove it$/],
      ['fox "lazy', /unterminated quote at position 5; end the phrase with a second ", or remove the quote$/],
      ["fox OR", /nothing after OR at position 5; write a term after it/],
      ["fox (a OR)", /nothing after OR at position 8; write a term after it/],
      ["OR fox", /nothing before OR at position 1; write a term before it/],
      ["fox AND", /nothing after AND at position 5; write a term after it/],
      ["AND fox", /nothing before AND at position 1; write a term before it/],
      ["a NOT", /nothing after NOT at position 3; write the term to exclude after it/],
      ["(a NOT)", /nothing after NOT at position 4; write the term to exclude after it/],
      ["a NOT OR b", /nothing after NOT at position 3; write the term to exclude after it/],
      ["a NOT &", /nothing after NOT at position 3; write the term to exclude after it/],
      ["NOT house", /with no terms to exclude from; write the terms first/],
      ["a --b", /excludes twice in a row .* at position 3; write one NOT \(or one -\)$/],
      ["fox OR NOT dog", /only excludes \(the NOT at position 8\); put NOT after the terms it excludes from/],
      ["fox ()", /empty parentheses at position 5; put terms between them, or remove them$/],
      ['fox "&"', /phrase with no letters or digits at position 5; put words between the quotes, or remove them$/],
      [`"${"w ".repeat(40)}"`, /over SEARCH_PHRASE_TOKENS_MAX \(16\); quote at most 16 words/],
      ["a*", /prefix at position 1 .*; write one word of at least 2 letters or digits before it/],
      [`${"w-".repeat(40)}w`, /word of 41 parts at position 1, .*; put spaces between its parts/],
      ["& -", /holds no terms to search for .*; write at least one word or "quoted phrase"$/],
      ["(".repeat(20) + "x" + ")".repeat(20), /deeper than SEARCH_DEPTH_MAX \(\d+\) at position \d+; remove parentheses/],
      ["w ".repeat(33), /over SEARCH_TERMS_MAX \(32\); remove the terms that matter least$/],
    ];
    for (const [text, want] of cases) {
      const message = refusal(text);
      expect(message, text).toMatch(want);
      expect(message, text).toMatch(/^query\.search\.text [^;]+; [a-z]/);
      expect(message, text).not.toMatch(/unexpected/);
      for (const [, example] of message.matchAll(/`([^`]+)`/g)) expect(() => parseSearchText(example!), `${text}: ${example}`).not.toThrow();
    }
  });
});

describe("highlights", () => {
  it("mark matched tokens in the original text, not under NOT, with a snippet around the first match", () => {
    const search = compileSearch(parseSearchText('cafe "old town" NOT zurich'), new Map());
    const fields = [{ field: "title", weight: 1 }, { field: "tags", weight: 1 }];
    expect(highlights(fields, search, "d", { title: "Café in the Old  Town of Zürich", tags: ["cafés", "CAFE bar"] })).toEqual({
      title: "<mark>Café</mark> in the <mark>Old</mark>  <mark>Town</mark> of Zürich",
      tags: "<mark>CAFE</mark> bar",
    });
    const long = `${"word ".repeat(40)}cafe end`;
    expect(highlights(fields, search, "d", { title: long }).title).toMatch(/^….* <mark>cafe<\/mark> end$/);
  });

  it("are HTML: the text is escaped and the marks go around escaped matches", () => {
    const fields = [{ field: "title", weight: 1 }];
    const img = highlights(fields, compileSearch(parseSearchText("img"), new Map()), "d", { title: `<img src=x onerror=alert(1)> & "q" 'a'` });
    expect(img.title).toBe("&lt;<mark>img</mark> src=x onerror=alert(1)&gt; &amp; &quot;q&quot; &#39;a&#39;");
    // The text "</mark>" stays text: a search for "mark" cannot close or open a tag.
    const mark = highlights(fields, compileSearch(parseSearchText("mark"), new Map()), "d", { title: "a </mark> b" });
    expect(mark.title).toBe("a &lt;/<mark>mark</mark>&gt; b");
  });
});
