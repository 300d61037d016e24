/**
 * The one gate every user value passes before it is put on the wire.
 *
 * Documents travel as google.protobuf.Struct: maps with string keys, lists,
 * strings, booleans, null and IEEE-754 doubles, nothing else. Left to
 * itself the encoder turns what it cannot carry into something else without
 * a word (a Date into `{}`, `undefined` and `10n` into null, a Map into
 * `{}`), which is data loss the caller only finds later. So the SDK checks
 * each value first and refuses, with a TypeError that names the document
 * and the field, anything the wire cannot carry exactly:
 *
 * - Date: refused; store `date.toISOString()` (typed timestamps come later).
 * - bigint: refused; use Number(x) when it is a safe integer, else String(x).
 * - undefined, in maps and in arrays alike: refused, rather than dropped
 *   (as JSON.stringify drops it from maps) or turned into null (as it does
 *   in arrays); leave the field out, or store null.
 * - NaN, Infinity, -Infinity: refused (JSON and the server have no such
 *   numbers).
 * - integer-valued numbers whose magnitude is from 2^53 up to 2^64 (the
 *   range of int64/uint64 ids): refused. JavaScript has most likely already
 *   rounded such a literal to a nearby double (the snowflake id
 *   `175928847299117063` is read as `175928847299117060`), and the SDK
 *   cannot tell a rounded literal from an exact one; store big integers as
 *   strings. Whole doubles beyond 2^64 (`1e21`, `1.7e308`) pass: they are
 *   floating-point magnitudes, which the wire carries exactly, and a
 *   document another client stored with one must be writable back
 *   unchanged. Fractions and safe integers pass.
 * - strings and field names with lone UTF-16 surrogates (half of an emoji,
 *   say): refused; UTF-8 cannot carry them, and the encoder would put U+FFFD
 *   in their place.
 * - functions, symbols, symbol keys, sparse array holes: refused.
 * - objects other than plain objects (prototype Object.prototype or null)
 *   and arrays: refused, naming the class (Map, Set, RegExp, Uint8Array, a
 *   user's class...).
 * - cycles: refused. The same object reached twice without a cycle is fine.
 * - nesting deeper than VALUE_DEPTH_MAX: refused before the walk can
 *   exhaust the stack (the server's own, smaller limit answers
 *   INVALID_ARGUMENT for documents between the two).
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { ROUNDED_INTEGER_MAGNITUDE_MAX, ROUNDED_INTEGER_MAGNITUDE_MIN, VALUE_DEPTH_MAX } from "./limits.js";
import { FieldValue } from "./field-value.js";

/**
 * Checks a document's data (or a patch) and returns it unchanged, typed as
 * JSON; throws a TypeError that starts with `where` (such as
 * `users/alice`) and names the field when a value cannot travel exactly.
 */
export function checkedData<T extends JsonObject>(where: string, data: T): T {
  if (!isPlainObject(data)) throw new TypeError(`${where}: the document data ${describeKind(data)}; it must be a plain object`);
  walk(where, data, [], new Set(), 1);
  return data;
}

/**
 * Checks one value that is not a whole document (a query operand) and
 * returns it; `where` names it in the error, such as
 * `query on users: where("born", "==", value)`.
 */
export function checkedValue(where: string, value: JsonValue): JsonValue {
  walk(where, value, [], new Set(), 1);
  return value;
}

type Segment = string | number;

/** A surrogate code unit outside a valid pair (with the u flag, pairs match as one astral code point). */
const LONE_SURROGATE = /\p{Cs}/u;

function walk(where: string, value: unknown, path: Segment[], ancestors: Set<object>, depth: number): void {
  const problem = scalarProblem(value);
  if (problem !== null) throw new TypeError(`${where}: ${fieldName(path)} ${problem}`);
  if (value === null || typeof value !== "object") return;
  if (depth > VALUE_DEPTH_MAX) throw new TypeError(`${where}: ${fieldName(path)} is nested more than VALUE_DEPTH_MAX (${VALUE_DEPTH_MAX}) levels deep`);
  if (ancestors.has(value)) throw new TypeError(`${where}: ${fieldName(path)} refers back to an object that contains it (a cycle); the wire carries trees only`);
  if (Object.getOwnPropertySymbols(value).length > 0) {
    throw new TypeError(`${where}: ${fieldName(path)} has symbol keys; field names must be strings`);
  }
  ancestors.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw new TypeError(`${where}: ${fieldName([...path, i])} is a hole in a sparse array; fill it (null stores null)`);
      walk(where, value[i], [...path, i], ancestors, depth + 1);
    }
  } else {
    for (const key of Object.keys(value)) {
      if (LONE_SURROGATE.test(key)) throw new TypeError(`${where}: ${fieldName([...path, key])} has a name with a lone UTF-16 surrogate, which UTF-8 cannot carry`);
      walk(where, (value as Record<string, unknown>)[key], [...path, key], ancestors, depth + 1);
    }
  }
  ancestors.delete(value);
}

/** What is wrong with a value on its own (not its contents), or null when it may travel. */
function scalarProblem(value: unknown): string | null {
  switch (typeof value) {
    case "string":
      return LONE_SURROGATE.test(value) ? "is a string with a lone UTF-16 surrogate (half of a pair), which UTF-8 cannot carry; it would arrive as U+FFFD" : null;
    case "boolean":
      return null;
    case "number":
      if (!Number.isFinite(value)) return `is ${value}; only finite numbers can be stored`;
      if (isLikelyRoundedInteger(value)) {
        // The JS string form is what the caller sees for the value (console.log, the literal's digits), and it stays short.
        return `is ${String(value)}, an integer from 2^53 up to 2^64 in magnitude (the int64/uint64 id range), which JavaScript has most likely already rounded: store big integers as strings (whole numbers beyond 2^64, such as 1e21, pass)`;
      }
      return null;
    case "bigint":
      return `is a bigint (${value}n); numbers travel as doubles: use Number(x) for a safe integer, or String(x)`;
    case "undefined":
      return "is undefined; leave the field out, or store null";
    case "function":
      return "is a function; only data can be stored";
    case "symbol":
      return "is a symbol; only data can be stored";
    case "object":
      if (value === null || Array.isArray(value) || isPlainObject(value)) return null;
      if (value instanceof FieldValue) return "is a FieldValue where only a stored value can go (inside an array, or an operand); a FieldValue stands for a whole field";
      if (value instanceof Date) return "is a Date; store date.toISOString() (a string) or date.getTime() (a number of ms) instead";
      return `${describeKind(value)}; only plain objects, arrays, strings, finite numbers, booleans and null can be stored`;
  }
  return `has an unsupported type (${typeof value})`;
}

/**
 * Whether a number is whole and in the int64/uint64 magnitude range past
 * the safe integers, where a literal has most likely been rounded.
 */
function isLikelyRoundedInteger(value: number): boolean {
  const magnitude = Math.abs(value);
  return Number.isInteger(value) && magnitude >= ROUNDED_INTEGER_MAGNITUDE_MIN && magnitude <= ROUNDED_INTEGER_MAGNITUDE_MAX;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function describeKind(value: unknown): string {
  if (value === null) return "is null";
  if (typeof value !== "object") return `is a ${typeof value}`;
  if (Array.isArray(value)) return "is an array";
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === "string" && name !== "" ? `is a ${name}` : "is an object with a custom prototype";
}

/** `field "profile.born"`, `field "tags[2]"`, `field "a[\"x.y\"]"`; "the value" at the top. */
function fieldName(path: readonly Segment[]): string {
  if (path.length === 0) return "the value";
  let text = "";
  for (const seg of path) {
    if (typeof seg === "number") text += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) text += text === "" ? seg : `.${seg}`;
    else text += `[${JSON.stringify(seg)}]`;
  }
  return `field ${JSON.stringify(text)}`;
}
