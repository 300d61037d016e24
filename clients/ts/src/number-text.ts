/**
 * Integers in JSON text that no double spells, for the tools that read
 * text a person typed: the CLI (put, add, import) and the console's editor.
 *
 * A JSON number is stored as a double (docs/data-types.md). Past 2^53 not
 * every integer is a double, and JSON parsing silently takes the nearest
 * one: the snowflake id `175928847299117063` becomes 175928847299117056.
 * Once parsed the digits are gone, and that double is the very value the
 * server returns for a document that holds it, so only the text can tell a
 * rounded literal from a double written back. An integer literal is
 * accepted when it spells its double, in either of two ways:
 *
 * - exactly: its digits are the double's value (`1000000000000000000`,
 *   `175928847299117056`, `9007199254740992`);
 * - as the double's shortest text, the digits JSON.stringify, the server's
 *   JSON answers and the CLI's export print for it (`175928847299117060`
 *   for 175928847299117056), so a document read in JSON can be written
 *   back.
 *
 * Any other integer literal (`175928847299117063`, `9007199254740993`) is
 * refused by the caller, naming the double it would have become. Literals
 * with a fraction or an exponent (`1.5`, `1e18`) are floating-point numbers
 * by their form, and rounding them to a double is what they ask for.
 */

/** An integer literal of JSON text that no double spells, and where it starts. */
export interface InexactInteger {
  /** The literal as written. */
  readonly literal: string;
  /** Its offset in the text, in UTF-16 code units. */
  readonly offset: number;
  /** The exact decimal value of the double JSON parsing makes of it. */
  readonly nearest: string;
}

/** Digits an integer literal can have and still be exact whatever they are: 10^15 - 1 < 2^53. */
const ALWAYS_EXACT_DIGITS_MAX = 15;

/** A JSON number token (RFC 8259), matched where one starts. */
const JSON_NUMBER_TOKEN = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

/** A JSON number in integer notation: no fraction, no exponent. */
const INTEGER_LITERAL = /^-?(?:0|[1-9][0-9]*)$/;

/**
 * True unless `literal` is a JSON integer literal (no fraction, no
 * exponent) that is neither its double's exact value nor its double's
 * shortest text (see the module comment). Literals beyond the doubles'
 * range (which parse as ±Infinity) are left to the finite-number checks.
 */
export function spellsItsDouble(literal: string): boolean {
  if (!INTEGER_LITERAL.test(literal) || literal.replace("-", "").length <= ALWAYS_EXACT_DIGITS_MAX) return true;
  const double = Number(literal);
  if (!Number.isFinite(double) || Number.isSafeInteger(double)) return true;
  return String(double) === literal || BigInt(literal) === BigInt(double);
}

/**
 * The number literals of `text` from `start` up to `end` (offsets in UTF-16
 * code units), in order, with their offsets. `text` must already have
 * parsed as JSON: the scan only skips strings and reads number tokens.
 */
function* numberLiterals(text: string, start: number, end: number): Generator<{ literal: string; offset: number }> {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = stringEnd(text, i);
      continue;
    }
    if (c !== MINUS && (c < DIGIT_0 || c > DIGIT_9)) continue;
    JSON_NUMBER_TOKEN.lastIndex = i;
    const match = JSON_NUMBER_TOKEN.exec(text);
    if (match === null) continue;
    yield { literal: match[0], offset: i };
    i += match[0].length - 1;
  }
}

/**
 * The first integer literal no double spells in `text` from `start` up to
 * `end` (offsets in UTF-16 code units), or null. `text` must already have
 * parsed as JSON: the scan only skips strings and reads number tokens.
 */
export function firstInexactInteger(text: string, start = 0, end = text.length): InexactInteger | null {
  for (const { literal, offset } of numberLiterals(text, start, end)) {
    if (!spellsItsDouble(literal)) return { literal, offset, nearest: BigInt(Number(literal)).toString() };
  }
  return null;
}

/**
 * True when no double holds the number literal `literal` as written: too
 * large (`1e400`, which JSON.parse reads as Infinity), too small (`1e-400`,
 * not zero as written, which reads as 0), or a subnormal it does not spell
 * (`3e-324` reads as 5e-324; `5e-324` and `1e-320` spell theirs). Each
 * would be stored as another number without a word. The server's rule for
 * the same literals in Connect JSON and in filters (src/query/filter-number.ts
 * doubleLiteralProblem); the CLI sends binary, so it checks them itself.
 */
export function noDoubleHolds(literal: string): boolean {
  const value = Number(literal);
  if (!Number.isFinite(value) || (value === 0 && /[1-9]/.test(literal.split(/[eE]/)[0]!))) return true;
  return value !== 0 && Math.abs(value) < DOUBLE_NORMAL_MIN && !spellsSubnormal(literal, value);
}

/** The least positive normal double, 2^-1022; below it a double holds fewer than 53 significant bits. */
const DOUBLE_NORMAL_MIN = 2 ** -1022;

/** The most significant digits `Number.prototype.toPrecision` prints. */
const PRECISION_DIGITS_MAX = 100;

/** The significant digits of a decimal literal, without leading or trailing zeros, and the power of ten of the first one. */
function significand(literal: string): { digits: string; point: number } {
  const [mantissa, exponent = "0"] = literal.replace(/^-/, "").toLowerCase().split("e");
  const [whole = "", fraction = ""] = mantissa!.split(".");
  const all = whole + fraction;
  const leading = all.length - all.replace(/^0+/, "").length;
  return { digits: all.slice(leading).replace(/0+$/, ""), point: whole.length + Number(exponent) - leading };
}

/**
 * True when `literal` spells the subnormal `value` it reads as: printed to
 * the literal's number of digits, `value` gives the literal back, and the
 * literal has at least the digits of `value`'s shortest text.
 */
function spellsSubnormal(literal: string, value: number): boolean {
  const written = significand(literal);
  const n = written.digits.length;
  if (n > PRECISION_DIGITS_MAX || significand(String(value)).digits.length > n) return false;
  const printed = significand(value.toPrecision(n));
  return printed.digits === written.digits && printed.point === written.point;
}

/**
 * The first number literal in `text` from `start` up to `end` that no
 * double holds (noDoubleHolds), or null; as firstInexactInteger, over text
 * that has already parsed as JSON.
 */
export function firstNumberNoDoubleHolds(text: string, start = 0, end = text.length): string | null {
  for (const { literal } of numberLiterals(text, start, end)) {
    if (noDoubleHolds(literal)) return literal;
  }
  return null;
}

/** Why a number literal no double holds cannot be stored (the same words for put, CSV and JSON). */
export function noDoubleHoldsText(literal: string): string {
  const value = Number(literal);
  if (value === 0) return `${literal} is a number too small for a double (the least is about 5e-324): it would be stored as 0`;
  if (Number.isFinite(value)) return `${literal} is a number too small for a double to hold as written: it would be stored as ${value}`;
  return `${literal} is a number beyond what a double holds (about 1.8e308)`;
}

/**
 * Why an inexact integer cannot be stored as written, for a message that
 * goes on to say what to write instead.
 */
export function inexactIntegerText(found: InexactInteger): string {
  return `the integer ${found.literal} is beyond ±2^53 and is not a double: numbers are stored as doubles, and it would be stored as ${found.nearest}`;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/** The offset of the quote that closes the string opening at `open`. */
function stringEnd(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i;
  }
  return text.length;
}

/**
 * An int64 as protobuf JSON writes it (`"integerValue": "16"`): decimal
 * digits, an optional minus sign, no leading zeros. protobuf-es reads int64
 * text with BigInt, which also takes `"0x10"` (16), `"0o7"`, `"0b1"` and
 * `"01"`; the server refuses those (INVALID_ARGUMENT), so the CLI and the
 * console refuse them first, naming them.
 */
export function isDecimalInt64Text(text: string): boolean {
  return DECIMAL_INT64.test(text);
}

const DECIMAL_INT64 = /^-?(?:0|[1-9][0-9]*)$/;

/**
 * The first `integerValue` text in parsed protobuf JSON of typed values
 * that is not decimal (isDecimalInt64Text), or null. The walk is iterative,
 * so JSON of any depth cannot exhaust the stack; it looks at every
 * `integerValue` member holding a string, which in protobuf JSON of Values
 * is only ever an integer's text (a map's own field names hold Values, not strings).
 */
export function firstNonDecimalInt64(json: unknown): string | null {
  const stack: unknown[] = [json];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== "object") continue;
    if (Array.isArray(node)) {
      stack.push(...node);
      continue;
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === "integerValue" && typeof value === "string" && !isDecimalInt64Text(value)) return value;
      stack.push(value);
    }
  }
  return null;
}
