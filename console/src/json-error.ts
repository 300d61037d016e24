/**
 * Where JSON text goes wrong. Browsers' JSON.parse messages differ and
 * Chromium's no longer give a position, so the editor finds the first bad
 * character itself to show its line and column.
 */

/** Nesting deeper than this is reported as an error where it starts (no document nests this deep: the server's limit is lower). */
export const JSON_DEPTH_MAX = 256;

const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const LITERALS = ["true", "false", "null"] as const;

/** The offset of the first character at which `text` is not JSON, or null when it is. */
export function jsonErrorOffset(text: string): number | null {
  const scanner = { text, pos: 0 };
  if (!value(scanner, 0)) return scanner.pos;
  skipWhitespace(scanner);
  return scanner.pos === text.length ? null : scanner.pos;
}

/** The 1-based line and column of `offset` in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  return { line: before.split("\n").length, column: offset - before.lastIndexOf("\n") };
}

interface Scanner {
  readonly text: string;
  pos: number;
}

function skipWhitespace(s: Scanner): void {
  while (s.pos < s.text.length && WHITESPACE.has(s.text[s.pos]!)) s.pos += 1;
}

function sticky(s: Scanner, pattern: RegExp): boolean {
  pattern.lastIndex = s.pos;
  const match = pattern.exec(s.text);
  if (match === null) return false;
  s.pos += match[0].length;
  return true;
}

function value(s: Scanner, depth: number): boolean {
  skipWhitespace(s);
  const c = s.text[s.pos];
  if (c === "{" || c === "[") return depth < JSON_DEPTH_MAX && container(s, depth, c === "{" ? "}" : "]");
  if (c === '"') return sticky(s, STRING);
  if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return sticky(s, NUMBER);
  const literal = LITERALS.find((l) => s.text.startsWith(l, s.pos));
  if (literal === undefined) return false;
  s.pos += literal.length;
  return true;
}

/** An object (`close` is `}`) or array (`]`), from its opening bracket. */
function container(s: Scanner, depth: number, close: "}" | "]"): boolean {
  s.pos += 1;
  skipWhitespace(s);
  if (s.text[s.pos] === close) {
    s.pos += 1;
    return true;
  }
  for (;;) {
    if (close === "}") {
      skipWhitespace(s);
      if (s.text[s.pos] !== '"' || !sticky(s, STRING)) return false;
      skipWhitespace(s);
      if (s.text[s.pos] !== ":") return false;
      s.pos += 1;
    }
    if (!value(s, depth + 1)) return false;
    skipWhitespace(s);
    const next = s.text[s.pos];
    if (next === close) {
      s.pos += 1;
      return true;
    }
    if (next !== ",") return false;
    s.pos += 1;
  }
}
