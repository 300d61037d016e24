/**
 * Number literals in the AIP-160 text filter (aip160.ts).
 *
 * A number is decimal: digits with an optional fraction and exponent
 * (`-1.5e3`), read as the double it names, as in the JSON form. What a user
 * might expect to be a number but is not one here is refused by name
 * rather than split into a number and a field path: hexadecimal, octal and
 * binary (`0x10`), digit separators (`1_000`), leading zeros (`010`, which
 * C and old JavaScript read as octal 8), and anything else glued to the
 * digits (`1e`, `1.2.3`). A literal no double can hold is refused too,
 * both ways: too large (`1e400`, which would read as Infinity) and too small
 * (`1e-400`, which would read as 0 and match every zero; `1.23456789e-320`,
 * which would read as the subnormal 1.2347e-320: below 2^-1022 a double
 * holds fewer digits). A subnormal is accepted when the literal spells it,
 * as `0.1` spells the double nearest 0.1: the double printed to the
 * literal's digits gives the literal back, and the literal has at least the
 * digits of the shortest text of the double (`5e-324`,
 * `4.9406564584124654e-324`, `1e-320`; not `3e-324`, which reads as 5e-324).
 */

/** A number literal read: its value and where it ends, or why it is not a number. */
export type FilterNumber = { readonly ok: true; readonly value: number; readonly end: number } | { readonly ok: false; readonly message: string };

const NUMBER = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
/** Characters that cannot follow a number directly: they would make it another word. */
const GLUED = /[A-Za-z0-9_.]+/y;
/** The least positive normal double, 2^-1022; below it a double holds fewer than 53 significant bits. */
const NORMAL_MIN = 2 ** -1022;
/** The most significant digits `Number.prototype.toPrecision` prints. */
const PRECISION_DIGITS_MAX = 100;

/** True when a number literal may start at `start`: a digit or a dot, after an optional minus. */
export function startsFilterNumber(text: string, start: number): boolean {
  const ch = text[start] ?? "";
  return /[0-9.]/.test(ch) || (ch === "-" && /[0-9.]/.test(text[start + 1] ?? ""));
}

/**
 * Reads the number literal at `start` (where `startsFilterNumber` holds),
 * or says why the text there is not a number a filter takes. The message
 * names the literal as written.
 */
export function readFilterNumber(text: string, start: number): FilterNumber {
  NUMBER.lastIndex = start;
  const match = NUMBER.exec(text);
  GLUED.lastIndex = match === null ? start + 1 : start + match[0].length;
  const glued = GLUED.exec(text);
  if (match === null || glued !== null) return { ok: false, message: notANumber(text.slice(start, glued === null ? start + 1 : GLUED.lastIndex)) };
  const literal = match[0];
  // `010` is 8 to a reader of C or old JavaScript and 10 to Number(): refused, as JSON refuses it.
  if (/^-?0\d/.test(literal)) return { ok: false, message: `${literal} is not a number: a filter takes no leading zeros (some languages read them as octal); write ${withoutLeadingZeros(literal)}` };
  const value = Number(literal);
  const problem = doubleLiteralProblem(literal, value);
  if (problem !== undefined) return { ok: false, message: problem };
  return { ok: true, value, end: start + literal.length };
}

/** The largest finite double, about 1.8e308, as refusals print it. */
const DOUBLE_MAX_TEXT = "about 1.8e308";

/** The least positive double, about 5e-324, as refusals print it. */
const DOUBLE_MIN_TEXT = "about 5e-324";

/**
 * The refusal of a number too large for a double: `literal` as written,
 * or, where the request's text cannot tell which literal it was (the JSON
 * guard found Infinity in parsed JSON that spells it twice), none.
 */
export function tooLargeForDouble(literal?: string): string {
  return `number ${literal === undefined ? "" : `${literal} `}is out of range: it is too large for a double (the largest is ${DOUBLE_MAX_TEXT})`;
}

/**
 * Why no double holds the decimal `literal` as written, or undefined: too
 * large (`1e400` would read as Infinity), not zero but read as 0
 * (`1e-400`), or a subnormal it does not spell (`3e-324` would read as
 * 5e-324, `1.23456789e-320` as 1.2347e-320). `value` is Number(literal).
 * ONE rule, in one set of words, for every JSON number the server reads:
 * filters (readFilterNumber) and the JSON guard of requests
 * (server/json-timestamps.ts: document data, typed doubles, query
 * operands), so a document and a filter refuse the same literals, saying
 * the same thing.
 */
export function doubleLiteralProblem(literal: string, value = Number(literal)): string | undefined {
  if (!Number.isFinite(value)) return tooLargeForDouble(literal);
  if (readsAsZero(literal, value)) return `number ${literal} is out of range: it is too small for a double and would read as 0 (the least positive double is ${DOUBLE_MIN_TEXT})`;
  if (value !== 0 && Math.abs(value) < NORMAL_MIN && !spells(literal, value)) {
    return `number ${literal} is out of range: it is too small for a double to hold as written (it would read as ${value})`;
  }
  return undefined;
}

/** True when the decimal `literal` is not zero as written but reads as 0 (`1e-400`): too small for a double. `value` is Number(literal). */
export function readsAsZero(literal: string, value = Number(literal)): boolean {
  return value === 0 && significand(literal).digits !== "";
}

/** `literal` without the zeros before its first significant whole digit (`-007.5` -> `-7.5`). */
function withoutLeadingZeros(literal: string): string {
  return literal.replace(/^(-?)0+(?=\d)/, "$1");
}

/** Why `word`, which starts like a number, is not one. */
function notANumber(word: string): string {
  const spelling = nonDecimalSpelling(word);
  if (spelling !== null) return `${word} is not a number: a filter takes ${spelling.why}${spelling.decimal === undefined ? "" : `; write ${spelling.decimal}`}`;
  return `${word} is not a number: a number is decimal digits with an optional fraction and exponent, such as -1.5e3, and is followed by a space, an operator or a parenthesis`;
}

/** A whole decimal literal as readFilterNumber reads it (leading zeros are checked apart). */
const DECIMAL = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Why `word` (a number as other languages spell it: `0x10`, `0b101`, `1_000`)
 * is not decimal, and the decimal literal it means when there is one (`16`,
 * `5`, `1000`; none for `0xg`). Null when it is neither. Shared by numbers
 * and by `int(...)` (aip160.ts), so both say the same.
 */
export function nonDecimalSpelling(word: string): { readonly why: string; readonly decimal?: string } | null {
  const sign = word.startsWith("-") ? "-" : "";
  const unsigned = word.slice(sign.length);
  const radix = /^0([xXoObB])/.exec(unsigned);
  if (radix !== null) {
    const name = { x: "hexadecimal", o: "octal", b: "binary" }[radix[1]!.toLowerCase() as "x" | "o" | "b"];
    const why = `decimal numbers only, not ${name}`;
    try {
      // BigInt reads 0x, 0o and 0b literals exactly (digit separators removed first); a malformed one throws.
      return { why, decimal: `${sign}${BigInt(unsigned.replaceAll("_", "").toLowerCase())}` };
    } catch {
      // No decimal to suggest for a malformed literal such as 0xg.
      return { why };
    }
  }
  if (word.includes("_")) {
    // `0_1` is 01 without its separator, which is refused for its leading zero: suggest 1.
    const decimal = withoutLeadingZeros(word.replaceAll("_", ""));
    return { why: "no digit separators (_)", ...(DECIMAL.test(decimal) ? { decimal } : {}) };
  }
  return null;
}

/**
 * The significant digits of a decimal literal, without leading or trailing
 * zeros, and the power of ten of the first one (value = 0.digits x 10^point).
 * Zero has no digits.
 */
function significand(literal: string): { digits: string; point: number } {
  const [mantissa, exponent = "0"] = literal.replace(/^-/, "").toLowerCase().split("e");
  const [whole = "", fraction = ""] = mantissa!.split(".");
  const all = whole + fraction;
  const leading = all.length - all.replace(/^0+/, "").length;
  const digits = all.slice(leading).replace(/0+$/, "");
  return { digits, point: whole.length + Number(exponent) - leading };
}

/**
 * True when `literal` spells the subnormal `value` it reads as: `value`
 * printed to the literal's number of digits is the literal, and the literal
 * has at least the digits of the shortest text that reads back as `value`
 * (so `1.0000001e-320`, which reads as the double whose shortest text is
 * `1e-320`, is not spelled).
 */
function spells(literal: string, value: number): boolean {
  const written = significand(literal);
  const n = written.digits.length;
  if (n > PRECISION_DIGITS_MAX || significand(String(value)).digits.length > n) return false;
  const printed = significand(value.toPrecision(n));
  return printed.digits === written.digits && printed.point === written.point;
}
