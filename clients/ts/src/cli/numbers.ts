/**
 * Numbers in the CLI's arguments are plain decimal text: an optional minus
 * sign, digits and an optional fraction (`48.8566`, `-5`, `.5`, `10`).
 * JavaScript's Number() also reads `0x10` (16), `0b11`, `1e3`, `Infinity`
 * and "" (0), so `--near 0x10,0,100` was taken as latitude 16; these
 * helpers refuse every such form, so what the user typed is what is sent.
 */

/** Plain decimal text, nothing else (no sign but minus, no exponent, no spaces). */
const DECIMAL = /^-?(?:\d+(?:\.\d*)?|\.\d+)$/;

/** Plain decimal whole-number text. */
const DECIMAL_INTEGER = /^-?\d+$/;

/** `text` as a number when it is plain decimal text, else null. */
export function decimalNumber(text: string): number | null {
  if (!DECIMAL.test(text)) return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

/** `text` as a whole number when it is plain decimal digits of a safe integer, else null. */
export function decimalInteger(text: string): number | null {
  if (!DECIMAL_INTEGER.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}
