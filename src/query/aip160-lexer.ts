/**
 * The AIP-160 text filter's tokens (aip160.ts parses them): field paths,
 * the words AND, OR and NOT, values (strings, numbers, true, false, null,
 * `int(...)`, `timestamp(...)`) and punctuation. A literal spelled as
 * another language spells it (`0x10`, `1_000`, `NULL`, `==`, `&&`) is
 * refused here, naming what to write. Where no token starts, the caller's
 * `stuck` says why (aip160-lists.ts: a list, or a comma between
 * conditions), since that needs the tokens read so far.
 */
import type { JsonValue } from "@bufbuild/protobuf";
import { FailureError } from "../errors.js";
import { FILTER_LIST_VALUES_MAX } from "../limits.js";
import { loneSurrogateProblem } from "../validation/unicode.js";
import type { ListItem } from "./filter-advice.js";
import { nonDecimalSpelling, readFilterNumber, startsFilterNumber } from "./filter-number.js";
import { microsFromRfc3339, timestampText } from "../values/timestamp.js";
import { INT64_MAX, INT64_MIN, integerLeaf, timestampLeaf, typedLeafOf } from "../values/typed.js";

/** One token of a filter, with its character offset. */
export type Token =
  | { kind: "path"; text: string; at: number }
  | { kind: "word"; text: "AND" | "OR" | "NOT"; at: number }
  | { kind: "value"; value: JsonValue; at: number }
  | { kind: "punct"; text: string; at: number }
  | { kind: "end"; at: number };

/** The logical words, uppercase only (AIP-160). */
export const KEYWORDS = new Set(["AND", "OR", "NOT"]);
/** The literal words, lowercase only. */
export const LITERALS: Record<string, JsonValue> = { true: true, false: false, null: null };
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

/** The value `t` holds, or why it is not a value (a bare word, a literal in another case). */
export function valueOf(t: Token): JsonValue {
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


export function isWord(t: Token, w: string): boolean {
  return t.kind === "word" && t.text === w;
}

/** A SQL keyword in any case (`IN`, `in`), which the tokenizer reads as a field path. */
export function isSqlWord(t: Token, w: "IN" | "IS" | "NOT"): boolean {
  return t.kind === "path" && t.text.toUpperCase() === w;
}

/** `null`, or `NULL` in another case (a path to the tokenizer). */
export function isNullLiteral(t: Token): boolean {
  return (t.kind === "value" && t.value === null) || (t.kind === "path" && t.text.toLowerCase() === "null");
}

export function isPunct(t: Token, p: string): boolean {
  return t.kind === "punct" && t.text === p;
}

/**
 * The tokens of `text`, ending with an `end` token. Where no token starts,
 * `stuck(tokens so far, offset)` gives the error to throw.
 */
export function tokenize(text: string, stuck: (tokens: readonly Token[], at: number) => FailureError): Token[] {
  const tokens: Token[] = [];
  let i = skipSpaces(text, 0);
  while (i < text.length) {
    const read = readToken(text, i);
    if (read === null) throw stuck(tokens, i);
    tokens.push(read.token);
    i = skipSpaces(text, read.end);
  }
  tokens.push({ kind: "end", at: text.length });
  return tokens;
}

export function skipSpaces(text: string, start: number): number {
  let i = start;
  while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++;
  return i;
}

/**
 * The token at `i` (not a space) and where it ends, or null for a character
 * no token starts with; a literal spelled wrong throws, naming it.
 */
export function readToken(text: string, i: number): { token: Token; end: number } | null {
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
export function readList(text: string, start: number): ListItem[] | null {
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

export function describe(t: Token): string {
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

export function fail(offset: number, message: string): FailureError {
  return new FailureError("invalid_argument", `filter: ${message} at offset ${offset}`);
}
