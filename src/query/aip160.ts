/**
 * The AIP-160 text filter (https://google.aip.dev/160), the subset that
 * maps onto the expression tree:
 *
 *   expression  = sequence { "AND" sequence }
 *   sequence    = factor { factor }            (juxtaposition is AND)
 *   factor      = term { "OR" term }           (OR binds tighter than AND, as AIP-160 says)
 *   term        = [ "NOT" | "-" ] simple
 *   simple      = "(" expression ")" | restriction
 *   restriction = path ( "=" | "!=" | "<" | "<=" | ">" | ">=" ) value
 *               | path ":" "*"                 (the field exists)
 *               | path ":" value               (the array field contains value)
 *   value       = string | number | true | false | null
 *               | "int(" integer ")"           (a typed int64 integer)
 *               | "timestamp(" string ")"      (a typed timestamp, RFC 3339)
 *
 * Strings take double or single quotes and JSON escapes. A number is
 * decimal (filter-number.ts refuses hexadecimal, digit separators and
 * literals no double holds, such as 1e400 and 1e-400) and a
 * double, as in the JSON form (so `n = 9007199254740993` compares the
 * double 9007199254740992, as it always did); `int(9007199254740993)` is
 * the typed integer (values/typed.ts), exact, and
 * `timestamp("2026-11-30T15:04:05.123456Z")` a typed timestamp (any RFC
 * 3339 offset; finer than a microsecond is refused). Integers and doubles
 * compare as numbers, so `int(5)` and `5` match the same documents. Paths use the
 * field-path grammar (`a.b`, `` `odd name`.c ``). Every error names the
 * character offset where parsing stopped; SQL's IN, NOT IN and IS [NOT]
 * NULL are refused with what to write instead (filter-advice.ts).
 */
import type { JsonValue } from "@bufbuild/protobuf";
import { FailureError } from "../errors.js";
import { FILTER_DEPTH_MAX, FILTER_LIST_VALUES_MAX } from "../limits.js";
import { parseFieldPath, type FieldPath } from "../validation/field-path.js";
import { loneSurrogateProblem } from "../validation/unicode.js";
import type { CompareOp, Expr } from "./expression.js";
import { compareNode } from "./parser.js";
import { isNullAdvice, listAdvice, type ListItem } from "./filter-advice.js";
import { nonDecimalSpelling, readFilterNumber, startsFilterNumber } from "./filter-number.js";
import { microsFromRfc3339, timestampText } from "../values/timestamp.js";
import { INT64_MAX, INT64_MIN, integerLeaf, timestampLeaf, typedLeafOf } from "../values/typed.js";

type Token =
  | { kind: "path"; text: string; at: number }
  | { kind: "word"; text: "AND" | "OR" | "NOT"; at: number }
  | { kind: "value"; value: JsonValue; at: number }
  | { kind: "punct"; text: string; at: number }
  | { kind: "end"; at: number };

const KEYWORDS = new Set(["AND", "OR", "NOT"]);
const LITERALS: Record<string, JsonValue> = { true: true, false: false, null: null };
/** Operators of other languages, with what AIP-160 writes for them (checked before the punctuation: `==` would read as `=` `=`). */
const FOREIGN_OPERATORS: ReadonlyArray<readonly [string, string]> = [
  // Longest first: `===` would otherwise be told to write `=` for its first two characters.
  ["===", "="],
  ["!==", "!="],
  ["==", "="],
  ["<>", "!="],
  ["=>", ">="],
  ["=<", "<="],
  ["&&", "AND"],
  ["||", "OR"],
];
/** `int(N)`: a typed integer literal. */
const INT_CALL = /int\(\s*(-?\d+)\s*\)/y;
/** `timestamp(` up to its string literal (a path never precedes a parenthesis, so no field name is shadowed). */
const TIMESTAMP_CALL = /timestamp\(\s*(?=["'])/y;
const PUNCT = ["<=", ">=", "!=", "(", ")", "=", "<", ">", ":", "*", "-"];
/** What to write instead of a list (`a IN (1, 2)`), which AIP-160 text has no syntax for. */
const NO_LISTS = "write (a = 1 OR a = 2), or use the structured filter's OPERATOR_IN (docs/queries.md)";

/** Parses an AIP-160 filter into an expression tree. */
export function parseTextFilter(text: string): Expr {
  const parser = new TextParser(tokenize(text), text);
  const expr = parser.expression(1);
  const next = parser.peek();
  if (next.kind !== "end") throw fail(next.at, `unexpected ${describe(next)}`);
  return expr;
}

class TextParser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly text: string,
  ) {}

  peek(): Token {
    return this.tokens[this.i]!;
  }

  private take(): Token {
    return this.tokens[this.i++]!;
  }

  expression(depth: number): Expr {
    if (depth > FILTER_DEPTH_MAX) throw fail(this.peek().at, `filter nests deeper than FILTER_DEPTH_MAX (${FILTER_DEPTH_MAX})`);
    const children = [this.sequence(depth)];
    while (isWord(this.peek(), "AND")) {
      this.take();
      children.push(this.sequence(depth));
    }
    return children.length === 1 ? children[0]! : { kind: "and", children };
  }

  private sequence(depth: number): Expr {
    const children = [this.factor(depth)];
    while (startsTerm(this.peek())) children.push(this.factor(depth));
    return children.length === 1 ? children[0]! : { kind: "and", children };
  }

  private factor(depth: number): Expr {
    const children = [this.term(depth)];
    while (isWord(this.peek(), "OR")) {
      this.take();
      children.push(this.term(depth));
    }
    return children.length === 1 ? children[0]! : { kind: "or", children };
  }

  private term(depth: number): Expr {
    const t = this.peek();
    if (isWord(t, "NOT") || isPunct(t, "-")) {
      this.take();
      return { kind: "not", child: this.term(depth + 1) };
    }
    if (isPunct(t, "(")) {
      this.take();
      const inner = this.expression(depth + 1);
      const close = this.take();
      if (!isPunct(close, ")")) throw fail(close.at, `expected ")" to close the "(" at offset ${t.at}, found ${describe(close)}`);
      return inner;
    }
    return this.restriction();
  }

  private restriction(): Expr {
    const t = this.take();
    if (t.kind !== "path") throw fail(t.at, `expected a field path, found ${describe(t)}`);
    const path = pathOf(t);
    const op = this.take();
    if (isPunct(op, ":")) {
      if (isPunct(this.peek(), "*")) {
        this.take();
        return { kind: "exists", path, present: true };
      }
      return { kind: "contains", path, values: [this.value()] };
    }
    // SQL's IN, NOT IN and IS [NOT] NULL: say what this syntax spells.
    if (isSqlWord(op, "IN")) throw fail(op.at, listAdvice(t.text, readList(this.text, op.at + "IN".length), false));
    const next = this.peek();
    if ((isWord(op, "NOT") || isSqlWord(op, "NOT")) && isSqlWord(next, "IN")) throw fail(op.at, listAdvice(t.text, readList(this.text, next.at + "IN".length), true));
    if (isSqlWord(op, "IS")) {
      const negated = isWord(next, "NOT") || isSqlWord(next, "NOT");
      const operand = negated ? this.tokens[this.i + 1]! : next;
      if (isNullLiteral(operand)) throw fail(op.at, isNullAdvice(t.text, negated));
      // `n IS NOT 5` asks for the opposite of `n IS 5`: advising `=` for both would invert the filter.
      throw fail(op.at, negated ? "IS NOT is not an operator here; write !=" : "IS is not an operator here; write =");
    }
    if (op.kind !== "punct" || !["=", "!=", "<", "<=", ">", ">="].includes(op.text)) {
      // `a = 1 or b = 2`: a lowercase logical word reads as a field path, and the error would be about the next token.
      const upper = t.text.toUpperCase();
      if (t.text !== upper && KEYWORDS.has(upper)) {
        throw fail(t.at, `"${t.text}" is read as a field name: the logical operators are uppercase (AND, OR, NOT); write ${upper}`);
      }
      throw fail(op.at, `expected an operator (=, !=, <, <=, >, >=, :) after the field path, found ${describe(op)}`);
    }
    const at = this.peek().at;
    const cmp: CompareOp = op.text === "=" ? "==" : (op.text as CompareOp);
    return compareNode(path, cmp, this.value(), `filter offset ${at}`);
  }

  private value(): JsonValue {
    return valueOf(this.take());
  }
}

/** The value `t` holds, or why it is not a value (a bare word, a literal in another case). */
function valueOf(t: Token): JsonValue {
  if (t.kind === "value") return t.value;
  if (t.kind === "path" && !t.text.includes(".") && !t.text.includes("`")) {
    // `NULL`, `True`: a literal in another case. Quoting it would match the string, not the value.
    const lower = t.text.toLowerCase();
    if (Object.hasOwn(LITERALS, lower)) throw fail(t.at, `${JSON.stringify(t.text)} is not a value: the literals are lowercase (true, false, null); write ${lower}, or quote it for the string`);
    if (lower === "nan" || lower === "infinity") throw fail(t.at, `${JSON.stringify(t.text)} is not a value: a filter compares finite numbers only, and documents hold no NaN or Infinity`);
    throw fail(t.at, `expected a value, found the bare word ${JSON.stringify(t.text)}; quote strings`);
  }
  throw fail(t.at, `expected a value (a quoted string, a number, true, false or null), found ${describe(t)}`);
}

function pathOf(t: Token & { kind: "path" }): FieldPath {
  const parsed = parseFieldPath(t.text);
  if (!parsed.ok) throw fail(t.at, `bad field path: ${parsed.message}`);
  return parsed.path;
}

function startsTerm(t: Token): boolean {
  return t.kind === "path" || isWord(t, "NOT") || isPunct(t, "(") || isPunct(t, "-");
}

function isWord(t: Token, w: string): boolean {
  return t.kind === "word" && t.text === w;
}

/** A SQL keyword in any case (`IN`, `in`), which the tokenizer reads as a field path. */
function isSqlWord(t: Token, w: "IN" | "IS" | "NOT"): boolean {
  return t.kind === "path" && t.text.toUpperCase() === w;
}

/** `null`, or `NULL` in another case (a path to the tokenizer). */
function isNullLiteral(t: Token): boolean {
  return (t.kind === "value" && t.value === null) || (t.kind === "path" && t.text.toLowerCase() === "null");
}

/**
 * The `path IN` or `path NOT IN` before a list the tokenizer stopped in
 * (at its "[" or ","), so `x IN (1, 2)` is told about IN, not about a comma.
 */
function listAfterIn(tokens: readonly Token[]): { path: string; inAt: number; listAt: number; negated: boolean } | null {
  let k = tokens.length - 1;
  // Back over the list read so far: the item before the comma (a value, or a bare word readList refuses by name) and its "(".
  if (k >= 0 && (tokens[k]!.kind === "value" || (tokens[k]!.kind === "path" && !isSqlWord(tokens[k]!, "IN")))) k--;
  if (k >= 0 && isPunct(tokens[k]!, "-")) k--;
  if (k >= 0 && isPunct(tokens[k]!, "(")) k--;
  const inToken = tokens[k];
  if (inToken === undefined || !isSqlWord(inToken, "IN")) return null;
  const before = tokens[k - 1];
  const negated = before !== undefined && (isWord(before, "NOT") || isSqlWord(before, "NOT"));
  const path = tokens[negated ? k - 2 : k - 1];
  if (path === undefined || path.kind !== "path") return null;
  return { path: path.text, inAt: negated ? before!.at : inToken.at, listAt: inToken.at + "IN".length, negated };
}

function isPunct(t: Token, p: string): boolean {
  return t.kind === "punct" && t.text === p;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = skipSpaces(text, 0);
  while (i < text.length) {
    const read = readToken(text, i);
    if (read === null) {
      const ch = text[i]!;
      const list = ch === "," || ch === "[" ? listAfterIn(tokens) : null;
      if (list !== null) throw fail(list.inAt, listAdvice(list.path, readList(text, list.listAt), list.negated));
      throw fail(i, `unexpected character ${JSON.stringify(ch)}${ch === "," ? `: ${NO_LISTS}` : ""}`);
    }
    tokens.push(read.token);
    i = skipSpaces(text, read.end);
  }
  tokens.push({ kind: "end", at: text.length });
  return tokens;
}

function skipSpaces(text: string, start: number): number {
  let i = start;
  while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++;
  return i;
}

/**
 * The token at `i` (not a space) and where it ends, or null for a character
 * no token starts with; a literal spelled wrong throws, naming it.
 */
function readToken(text: string, i: number): { token: Token; end: number } | null {
  const ch = text[i]!;
  const code = ch.charCodeAt(0);
  if (code < 0x20 || code === 0x7f) throw fail(i, `control character U+${code.toString(16).padStart(4, "0")}`);
  if (ch === '"' || ch === "'") {
    const s = readString(text, i);
    return { token: { kind: "value", value: s.value, at: i }, end: s.end };
  }
  if (startsFilterNumber(text, i)) {
    const num = readFilterNumber(text, i);
    if (!num.ok) throw fail(i, num.message);
    return { token: { kind: "value", value: num.value, at: i }, end: num.end };
  }
  INT_CALL.lastIndex = i;
  const int = ch === "i" ? INT_CALL.exec(text) : null;
  if (int !== null) {
    if (/^-?0\d/.test(int[1]!)) throw fail(i, `int(${int[1]}) takes no leading zeros (some languages read them as octal); write int(${int[1]!.replace(/^(-?)0+(?=\d)/, "$1")})`);
    const exact = BigInt(int[1]!);
    if (exact < INT64_MIN || exact > INT64_MAX) throw fail(i, `int(${int[1]}) is outside int64`);
    return { token: { kind: "value", value: integerLeaf(exact), at: i }, end: i + int[0].length };
  }
  if (ch === "i" && text.startsWith("int(", i)) throw fail(i, intProblem(text, i));
  TIMESTAMP_CALL.lastIndex = i;
  const call = ch === "t" ? TIMESTAMP_CALL.exec(text) : null;
  if (call !== null) {
    const literal = readString(text, i + call[0].length);
    const close = /\s*\)/y;
    close.lastIndex = literal.end;
    if (close.exec(text) === null) throw fail(literal.end, "timestamp(...) takes one string and a closing parenthesis");
    const micros = microsFromRfc3339(literal.value);
    if (typeof micros === "string") throw fail(i, `timestamp ${JSON.stringify(literal.value)} ${micros}`);
    return { token: { kind: "value", value: timestampLeaf(timestampText(micros)), at: i }, end: close.lastIndex };
  }
  if (/[A-Za-z_`]/.test(ch)) {
    const end = scanPath(text, i);
    const word = text.slice(i, end);
    if (KEYWORDS.has(word)) return { token: { kind: "word", text: word as "AND" | "OR" | "NOT", at: i }, end };
    if (Object.hasOwn(LITERALS, word)) return { token: { kind: "value", value: LITERALS[word]!, at: i }, end };
    return { token: { kind: "path", text: word, at: i }, end };
  }
  // What JavaScript and C users type first: say what this syntax spells.
  const foreign = FOREIGN_OPERATORS.find(([spelled]) => text.startsWith(spelled, i));
  if (foreign !== undefined) throw fail(i, `${foreign[0]} is not an operator here; write ${foreign[1]}`);
  if (ch === "+" && startsFilterNumber(text, i + 1)) {
    const num = readFilterNumber(text, i + 1);
    if (num.ok) throw fail(i, `a number is written without a leading +; write ${text.slice(i + 1, num.end)}`);
  }
  const punct = PUNCT.find((p) => text.startsWith(p, i));
  if (punct === undefined) return null;
  return { token: { kind: "punct", text: punct, at: i }, end: i + punct.length };
}

/**
 * The values of the SQL list at `start` (`(1, "a")` or `[1, "a"]`, after
 * optional spaces), each as the user spelled it, read as the filter reads
 * values, so a literal spelled wrong (`1_000`, a bare word) is refused first,
 * by name. Null when there is no list there, or it is not one plain list.
 */
function readList(text: string, start: number): ListItem[] | null {
  let i = skipSpaces(text, start);
  const close = text[i] === "(" ? ")" : text[i] === "[" ? "]" : null;
  if (close === null) return null;
  const items: ListItem[] = [];
  i = skipSpaces(text, i + 1);
  if (text[i] === close) return items;
  for (;;) {
    if (items.length === FILTER_LIST_VALUES_MAX) return null;
    const read = i < text.length ? readToken(text, i) : null;
    if (read === null) return null;
    if (read.token.kind !== "value") {
      valueOf(read.token);
      return null;
    }
    items.push({ spelled: text.slice(i, read.end), value: read.token.value });
    i = skipSpaces(text, read.end);
    if (text[i] === close) return items;
    if (text[i] !== ",") return null;
    i = skipSpaces(text, i + 1);
  }
}

/**
 * Why the `int(` at `start` is not a typed integer: a number spelled as other
 * languages spell it (`int(0x10)`, `int(1_000)`) is told what to write, as a
 * bare number is (filter-number.ts); anything else is told the form.
 */
function intProblem(text: string, start: number): string {
  const call = /int\(\s*([^()\s]*)\s*\)/y;
  call.lastIndex = start;
  const inner = call.exec(text)?.[1];
  const spelling = inner === undefined ? null : nonDecimalSpelling(inner);
  if (spelling === null) return "int(...) takes a whole number, such as int(9007199254740993)";
  const decimal = spelling.decimal !== undefined && /^-?\d+$/.test(spelling.decimal) ? `; write int(${spelling.decimal})` : "";
  return `int(${inner}) takes ${spelling.why}${decimal}`;
}

/** The end of a field path starting at `start`: identifier chars, dots and backquoted segments. */
function scanPath(text: string, start: number): number {
  let i = start;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === "`") {
      i++;
      while (i < text.length && text[i] !== "`") i += text[i] === "\\" ? 2 : 1;
      if (i >= text.length) throw fail(start, "unterminated backquote in field path");
      i++;
    } else if (/[A-Za-z0-9_.]/.test(ch)) {
      i++;
    } else {
      break;
    }
  }
  return i;
}

const ESCAPES: Record<string, string> = { '"': '"', "'": "'", "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

function readString(text: string, start: number): { value: string; end: number } {
  const quote = text[start]!;
  let out = "";
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === quote) {
      // A \u escape can make a lone surrogate; no stored string holds one, so it could never match.
      const problem = loneSurrogateProblem(out);
      if (problem !== null) throw new FailureError("invalid_argument", `filter: the string at offset ${start} ${problem}`);
      return { value: out, end: i + 1 };
    }
    const code = ch.charCodeAt(0);
    if (code < 0x20) throw fail(i, "control character in a string; escape it");
    if (ch !== "\\") {
      out += ch;
      i++;
      continue;
    }
    const esc = text[i + 1] ?? "";
    if (esc === "u") {
      const hex = text.slice(i + 2, i + 6);
      if (!/^[0-9A-Fa-f]{4}$/.test(hex)) throw fail(i, "bad \\u escape; expected four hex digits");
      out += String.fromCharCode(parseInt(hex, 16));
      i += 6;
    } else if (Object.hasOwn(ESCAPES, esc)) {
      out += ESCAPES[esc];
      i += 2;
    } else {
      throw fail(i, `unknown escape \\${esc}`);
    }
  }
  throw fail(start, "unterminated string");
}

function describe(t: Token): string {
  switch (t.kind) {
    case "end":
      return "the end of the filter";
    case "value": {
      // A typed operand is named as the filter spells it, never as its stored tag.
      const leaf = typedLeafOf(t.value);
      if (leaf?.type === "integer") return `the value int(${leaf.value})`;
      if (leaf?.type === "timestamp") return `the value timestamp(${JSON.stringify(leaf.text)})`;
      return `the value ${JSON.stringify(t.value)}`;
    }
    case "path":
      return `the field ${JSON.stringify(t.text)}`;
    default:
      return JSON.stringify(t.text);
  }
}

function fail(offset: number, message: string): FailureError {
  return new FailureError("invalid_argument", `filter: ${message} at offset ${offset}`);
}
