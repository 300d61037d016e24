/**
 * The search text's grammar, parsed by us: user text never reaches FTS5's
 * MATCH. Words are cut by our tokenizer, so every term and phrase is made
 * of folded tokens, which compile.ts double-quotes.
 *
 * ```
 * query   := or
 * or      := and ("OR" and)*
 * and     := unary (["AND"] unary)*        juxtaposition is AND
 * unary   := ("NOT" | "-") unary | primary
 * primary := "(" or ")" | '"' words '"' | word | word "*"
 * ```
 *
 * AND, OR and NOT are operators only in capitals (as in FTS5); otherwise
 * they are words. A `-` (or a typographic dash, `isDash`) that starts a
 * word and is followed by a letter, digit, quote or parenthesis is NOT
 * (`apple -pie`, `-"old town"`), as in Typesense and web search engines;
 * inside a word (`e-mail`) or alone it is punctuation. A word holding several tokens (`e-mail`, `col:name`) is a
 * phrase of them, so FTS5 syntax (column filters, `NEAR(...)`, `^`, `+`)
 * is plain text here. A word with no letters or digits (`&`, `-`) is
 * skipped. A parse error is INVALID_ARGUMENT naming the 1-based character
 * position and saying what to write instead. NOT needs something to exclude from: a query, or an OR branch,
 * that only excludes is refused (FTS5 has no unary NOT).
 */
import { FailureError } from "../errors.js";
import { SEARCH_DEPTH_MAX, SEARCH_PHRASE_TOKENS_MAX, SEARCH_PREFIX_LENGTH_MIN, SEARCH_TERMS_MAX, SEARCH_TEXT_LENGTH_MAX } from "./limits.js";
import { tokenTexts } from "./tokenizer.js";

/** A search text's syntax tree. `phrase` with one token and no prefix is a plain term. */
export type SearchNode =
  | {
      readonly kind: "phrase";
      readonly tokens: readonly string[];
      readonly prefix: boolean;
      /** Written in quotes: matched as written, even one word (no typo variants). */
      readonly quoted?: boolean;
    }
  | { readonly kind: "and"; readonly children: readonly SearchNode[] }
  | { readonly kind: "or"; readonly children: readonly SearchNode[] }
  | { readonly kind: "not"; readonly child: SearchNode };

type Lexeme =
  | { kind: "(" | ")" | "AND" | "OR" | "NOT" | "end"; at: number }
  | { kind: "word"; text: string; prefix: boolean; at: number }
  | { kind: "quoted"; text: string; at: number };

/** Parses a search text; INVALID_ARGUMENT with a position when malformed. */
export function parseSearchText(text: string): SearchNode {
  if (text.length > SEARCH_TEXT_LENGTH_MAX) throw invalid(`is ${text.length} characters, over SEARCH_TEXT_LENGTH_MAX (${SEARCH_TEXT_LENGTH_MAX}); shorten it to the words that matter`);
  const parser = new Parser(lex(text));
  const node = parser.or(0);
  const next = parser.peek();
  // The top level stops only at the end or at a ")" no "(" opened.
  if (next.kind === ")") throw unopened(next.at);
  if (next.kind !== "end") throw unexpected(next);
  if (node === null) throw invalid('holds no terms to search for (only operators, punctuation or parentheses); write at least one word or "quoted phrase"');
  if (node.kind === "not") {
    throw invalid(`has a NOT (or a leading -) at position ${parser.positionOf(node) + 1} with no terms to exclude from; write the terms first (for example \`apple NOT pie\` or \`apple -pie\`)`);
  }
  if (parser.terms > SEARCH_TERMS_MAX) throw invalid(`holds ${parser.terms} terms, over SEARCH_TERMS_MAX (${SEARCH_TERMS_MAX}); remove the terms that matter least`);
  return node;
}

/**
 * A refusal of the search text. Every one says what is wrong, where (a
 * 1-based character position) and, after "; ", what to write instead
 * (test/unit/search/parser.test.ts checks each).
 */
function invalid(what: string): FailureError {
  return new FailureError("invalid_argument", `query.search.text ${what}`);
}

/** A ")" with no "(" before it to close. */
function unopened(at: number): FailureError {
  return invalid(`has an unbalanced ")" at position ${at + 1} (no "(" before it to close); remove it, or add the "(" it closes`);
}

/** A lexeme the grammar has no place for (kept as a net: each known case has its own words). */
function unexpected(l: Lexeme): FailureError {
  return invalid(`has ${describe(l)} at position ${l.at + 1} where a term was expected; remove it, or put a word or "quoted phrase" there`);
}

function describe(l: Lexeme): string {
  if (l.kind === "word") return `"${l.text}${l.prefix ? "*" : ""}"`;
  if (l.kind === "quoted") return "a quoted phrase";
  if (l.kind === "end") return "end of text";
  return `"${l.kind}"`;
}

function lex(text: string): Lexeme[] {
  const out: Lexeme[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/u.test(ch)) {
      i++;
    } else if (isDash(ch) && excludes(text, i)) {
      out.push({ kind: "NOT", at: i++ });
    } else if (ch === "(" || ch === ")") {
      out.push({ kind: ch, at: i++ });
    } else if (ch === '"') {
      const close = text.indexOf('"', i + 1);
      if (close < 0) throw invalid(`has an unterminated quote at position ${i + 1}; end the phrase with a second ", or remove the quote`);
      out.push({ kind: "quoted", text: text.slice(i + 1, close), at: i });
      i = close + 1;
    } else {
      const start = i;
      while (i < text.length && !/[\s()"]/u.test(text[i]!)) i++;
      const raw = text.slice(start, i);
      if (raw === "AND" || raw === "OR" || raw === "NOT") out.push({ kind: raw, at: start });
      else out.push({ kind: "word", text: raw.endsWith("*") ? raw.slice(0, -1) : raw, prefix: raw.endsWith("*"), at: start });
    }
  }
  out.push({ kind: "end", at: text.length });
  return out;
}

/** True when the `-` at `i` starts a word and the dashes from it lead to a letter, digit, quote or parenthesis: each is a NOT. */
function excludes(text: string, i: number): boolean {
  let start = i;
  while (start > 0 && isDash(text[start - 1]!)) start--;
  if (start > 0 && !/[\s(]/u.test(text[start - 1]!)) return false;
  let end = i;
  while (end < text.length && isDash(text[end]!)) end++;
  return end < text.length && /[\p{L}\p{N}"(]/u.test(text[end]!);
}

/**
 * The hyphen-minus and the dashes text editors put in its place (hyphen,
 * non-breaking hyphen, figure dash, en and em dash, minus sign, small and
 * full-width hyphen-minus): `pie –apple` typed with autocorrect on means
 * `pie -apple`, not "pie and apple".
 */
function isDash(ch: string): boolean {
  return /[-\u2010-\u2014\u2212\uFE63\uFF0D]/u.test(ch);
}

class Parser {
  private position = 0;
  /** Terms and phrases seen, for SEARCH_TERMS_MAX. */
  terms = 0;
  /**
   * Where each NOT node's NOT (or `-`) starts, 0-based, kept beside the tree
   * so the tree stays plain data: an exclusion refused only once its
   * surroundings are known (nothing to exclude from) is named by position.
   */
  private readonly notAt = new WeakMap<SearchNode, number>();
  constructor(private readonly lexemes: Lexeme[]) {}

  /** The 0-based position of the NOT (or `-`) that made the NOT node `node`. */
  positionOf(node: SearchNode): number {
    const at = this.notAt.get(node);
    if (at === undefined) throw new Error("invariant broken: a NOT node the parser did not record");
    return at;
  }

  peek(): Lexeme {
    return this.lexemes[this.position]!;
  }

  or(depth: number): SearchNode | null {
    const children: SearchNode[] = [];
    /** Where the OR just consumed starts, 0-based; null before the first. */
    let orAt: number | null = null;
    for (;;) {
      const child = this.and(depth);
      if (child === null) {
        if (orAt !== null) throw invalid(`has nothing after OR at position ${orAt + 1}; write a term after it (\`fox OR dog\`), or remove the OR`);
      } else {
        children.push(child);
      }
      if (this.peek().kind !== "OR") break;
      const op = this.lexemes[this.position++]!;
      orAt = op.at;
      if (child === null) throw invalid(`has nothing before OR at position ${op.at + 1}; write a term before it (\`fox OR dog\`), or remove the OR`);
    }
    if (children.length === 0) return null;
    const excluding = children.length > 1 ? children.find((c) => c.kind === "not") : undefined;
    if (excluding !== undefined) {
      throw invalid(`has an OR branch that only excludes (the NOT at position ${this.positionOf(excluding) + 1}); put NOT after the terms it excludes from (\`(fox OR dog) NOT cat\`, or \`fox OR (dog NOT cat)\`)`);
    }
    return children.length === 1 ? children[0]! : { kind: "or", children };
  }

  and(depth: number): SearchNode | null {
    const children: SearchNode[] = [];
    for (;;) {
      const next = this.peek();
      if (next.kind === "end" || next.kind === ")" || next.kind === "OR") break;
      if (next.kind === "AND") {
        this.position++;
        if (children.length === 0) throw invalid(`has nothing before AND at position ${next.at + 1}; write a term before it (\`fox AND dog\`), or remove the AND`);
        const after = this.peek();
        if (after.kind === "end" || after.kind === ")" || after.kind === "OR" || after.kind === "AND") throw invalid(`has nothing after AND at position ${next.at + 1}; write a term after it (\`fox AND dog\`), or remove the AND`);
        continue;
      }
      const child = this.unary(depth);
      if (child !== null) children.push(child);
    }
    if (children.length === 0) return null;
    if (children.length === 1) return children[0]!;
    if (children.every((c) => c.kind === "not")) {
      const merged: SearchNode = { kind: "not", child: { kind: "or", children: children.map((c) => (c as { child: SearchNode }).child) } };
      this.notAt.set(merged, this.positionOf(children[0]!));
      return merged;
    }
    return { kind: "and", children };
  }

  unary(depth: number): SearchNode | null {
    if (depth > SEARCH_DEPTH_MAX) {
      throw invalid(`nests parentheses and NOTs deeper than SEARCH_DEPTH_MAX (${SEARCH_DEPTH_MAX}) at position ${this.peek().at + 1}; remove parentheses that hold one term or one group`);
    }
    const next = this.lexemes[this.position++]!;
    switch (next.kind) {
      case "NOT": {
        // `a NOT`, `(a NOT)`, `a NOT OR b`: the same fault as `a NOT &`, in the same words.
        const following = this.peek().kind;
        const nothingAfter = () => invalid(`has nothing after NOT at position ${next.at + 1}; write the term to exclude after it (\`apple NOT pie\`), or remove the NOT`);
        if (following === "end" || following === ")" || following === "OR" || following === "AND") throw nothingAfter();
        const child = this.unary(depth + 1);
        if (child === null) throw nothingAfter();
        if (child.kind === "not") throw invalid(`excludes twice in a row (NOT NOT, or a doubled -) at position ${next.at + 1}; write one NOT (or one -)`);
        const node: SearchNode = { kind: "not", child };
        this.notAt.set(node, next.at);
        return node;
      }
      case "(": {
        const inner = this.or(depth + 1);
        const close = this.lexemes[this.position++]!;
        if (close.kind !== ")") throw invalid(`has an unbalanced "(" at position ${next.at + 1} (no ")" closes it); add the ")" that closes it, or remove it`);
        if (inner === null) throw invalid(`has empty parentheses at position ${next.at + 1}; put terms between them, or remove them`);
        return inner;
      }
      case "quoted": {
        const tokens = tokenTexts(next.text);
        if (tokens.length === 0) throw invalid(`has a phrase with no letters or digits at position ${next.at + 1}; put words between the quotes, or remove them`);
        if (tokens.length > SEARCH_PHRASE_TOKENS_MAX) {
          throw invalid(`has a phrase of ${tokens.length} words at position ${next.at + 1}, over SEARCH_PHRASE_TOKENS_MAX (${SEARCH_PHRASE_TOKENS_MAX}); quote at most ${SEARCH_PHRASE_TOKENS_MAX} words, the rest as terms outside the quotes`);
        }
        this.terms++;
        return { kind: "phrase", tokens, prefix: false, quoted: true };
      }
      case "word": {
        const tokens = tokenTexts(next.text);
        if (next.prefix) {
          if (tokens.length !== 1 || [...tokens[0]!].length < SEARCH_PREFIX_LENGTH_MIN) {
            throw invalid(
              `has a prefix at position ${next.at + 1} that is not one word of at least SEARCH_PREFIX_LENGTH_MIN (${SEARCH_PREFIX_LENGTH_MIN}) letters or digits before "*"; write one word of at least ${SEARCH_PREFIX_LENGTH_MIN} letters or digits before it (\`app*\`), or remove the "*"`,
            );
          }
        }
        // Punctuation alone is skipped, as a tokenizer would.
        if (tokens.length === 0) return null;
        if (tokens.length > SEARCH_PHRASE_TOKENS_MAX) {
          throw invalid(`has a word of ${tokens.length} parts at position ${next.at + 1}, over SEARCH_PHRASE_TOKENS_MAX (${SEARCH_PHRASE_TOKENS_MAX}); put spaces between its parts to search for them as terms`);
        }
        this.terms++;
        return { kind: "phrase", tokens, prefix: next.prefix };
      }
      case ")":
        throw unopened(next.at);
      default:
        throw unexpected(next);
    }
  }
}
