/**
 * The one gate every user value passes before it is put on the wire.
 *
 * Documents travel in one of two forms (document.proto): JSON-style
 * (google.protobuf.Struct: maps with string keys, lists, strings, booleans,
 * null and IEEE-754 doubles) or typed (`Value`, which adds 64-bit integers,
 * timestamps, bytes, references and geo points; value-codec.ts). Left to
 * itself the encoder turns what it cannot carry into something else without
 * a word (`undefined` into null, a Map into `{}`), which is data loss the
 * caller only finds later. So the SDK checks each value first, tells the
 * writers whether it needs the typed form, and refuses, with a TypeError
 * (a RangeError for a typed value out of its range) that names the
 * document and the field, anything neither form can carry exactly:
 *
 * - bigint, Date, Timestamp, Uint8Array, GeoPoint, DocumentReference: typed
 *   values (value-codec.ts); data holding one anywhere travels in the typed
 *   form. Refused: a bigint outside int64 (RangeError), an invalid Date
 *   (TypeError), a Date outside years 1 to 9999 (RangeError).
 * - undefined, in maps and in arrays alike: refused, rather than dropped
 *   (as JSON.stringify drops it from maps) or turned into null (as it does
 *   in arrays); leave the field out, or store null.
 * - NaN, Infinity, -Infinity: refused (JSON and the server have no such
 *   numbers).
 * - every finite number passes, whatever its size: a `number` is a double,
 *   and the wire carries every double exactly. Whole doubles past 2^53
 *   (`1e18`, or the snowflake id `175928847299117063`, which JavaScript
 *   reads as the double 175928847299117056) are stored as those doubles,
 *   so a document read back can always be written back unchanged. The SDK
 *   cannot refuse a rounded literal: by the time it sees the number, the
 *   literal's digits are gone, and the number is the same double the server
 *   returns for such a document. Exact integers past 2^53 are bigints
 *   (`175928847299117063n`); TypeScript and ESLint (no-loss-of-precision)
 *   flag the literal in source, and the CLI and the console, which see the
 *   text, refuse an integer no double spells (number-text.ts).
 * - strings and field names with lone UTF-16 surrogates (half of an emoji,
 *   say): refused; UTF-8 cannot carry them, and the encoder would put U+FFFD
 *   in their place.
 * - functions, symbols, symbol keys, sparse array holes: refused.
 * - objects other than plain objects (prototype Object.prototype or null),
 *   arrays and the typed classes above: refused, naming the class (Map,
 *   Set, RegExp, Int8Array, ArrayBuffer, a user's class...).
 * - cycles: refused. The same object reached twice without a cycle is fine.
 * - nesting deeper than VALUE_DEPTH_MAX: refused before the walk can
 *   exhaust the stack (the server's own, smaller limit answers
 *   INVALID_ARGUMENT for documents between the two).
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { INT64_MAX, INT64_MIN, TIMESTAMP_SECONDS_MAX, TIMESTAMP_SECONDS_MIN, VALUE_DEPTH_MAX } from "./limits.js";
import { isTypedScalar } from "./value-codec.js";
import { FieldValue } from "./field-value.js";

/**
 * Checks a document's data (or a patch) and returns it unchanged, typed as
 * JSON; throws a TypeError that starts with `where` (such as
 * `users/alice`) and names the field when a value cannot travel exactly.
 * For data that may hold typed values, use inspectData.
 */
export function checkedData<T extends JsonObject>(where: string, data: T): T {
  inspectData(where, data);
  return data;
}

/**
 * Checks a document's data (or a patch) as checkedData does and tells
 * whether it holds a typed value anywhere (so must travel in the typed
 * form): true for a bigint, Date, Timestamp, Uint8Array, GeoPoint or
 * DocumentReference at any depth.
 */
export function inspectData(where: string, data: object): boolean {
  if (!isPlainObject(data)) throw new TypeError(`${where}: the document data ${describeKind(data)}; it must be a plain object`);
  return walk(where, data, [], new Set(), 1);
}

/**
 * Checks one value that is not a whole document (a query operand) and
 * returns it; `where` names it in the error, such as
 * `query on users: where("born", "==", value)`.
 */
export function checkedValue(where: string, value: JsonValue): JsonValue {
  inspectValue(where, value);
  return value;
}

/** Checks one value as checkedValue does and tells whether it holds a typed value anywhere. */
export function inspectValue(where: string, value: unknown): boolean {
  return walk(where, value, [], new Set(), 1);
}

type Segment = string | number;

/** A surrogate code unit outside a valid pair (with the u flag, pairs match as one astral code point). */
const LONE_SURROGATE = /\p{Cs}/u;

/** Throws on the first value that cannot travel; returns whether any value needs the typed form. */
function walk(where: string, value: unknown, path: Segment[], ancestors: Set<object>, depth: number): boolean {
  const problem = scalarProblem(value);
  if (problem !== null) {
    const message = `${where}: ${fieldName(path)} ${problem.text}`;
    throw problem.range ? new RangeError(message) : new TypeError(message);
  }
  if (isTypedScalar(value)) return true;
  if (value === null || typeof value !== "object") return false;
  if (depth > VALUE_DEPTH_MAX) throw new TypeError(`${where}: ${fieldName(path)} is nested more than VALUE_DEPTH_MAX (${VALUE_DEPTH_MAX}) levels deep`);
  if (ancestors.has(value)) throw new TypeError(`${where}: ${fieldName(path)} refers back to an object that contains it (a cycle); the wire carries trees only`);
  if (Object.getOwnPropertySymbols(value).length > 0) {
    throw new TypeError(`${where}: ${fieldName(path)} has symbol keys; field names must be strings`);
  }
  ancestors.add(value);
  let typed = false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw new TypeError(`${where}: ${fieldName([...path, i])} is a hole in a sparse array; fill it (null stores null)`);
      if (walk(where, value[i], [...path, i], ancestors, depth + 1)) typed = true;
    }
  } else {
    for (const key of Object.keys(value)) {
      if (LONE_SURROGATE.test(key)) throw new TypeError(`${where}: ${fieldName([...path, key])} has a name with a lone UTF-16 surrogate, which UTF-8 cannot carry`);
      if (walk(where, (value as Record<string, unknown>)[key], [...path, key], ancestors, depth + 1)) typed = true;
    }
  }
  ancestors.delete(value);
  return typed;
}

/** What is wrong with a value on its own (not its contents), or null when it may travel; `range` marks a typed value out of its range. */
function scalarProblem(value: unknown): { text: string; range?: true } | null {
  switch (typeof value) {
    case "string":
      return LONE_SURROGATE.test(value) ? { text: "is a string with a lone UTF-16 surrogate (half of a pair), which UTF-8 cannot carry; it would arrive as U+FFFD" } : null;
    case "boolean":
      return null;
    case "number":
      // Any finite double travels exactly (see the module comment for whole doubles past 2^53).
      return Number.isFinite(value) ? null : { text: `is ${value}; only finite numbers can be stored` };
    case "bigint":
      if (value < INT64_MIN || value > INT64_MAX) return { text: `is ${value}n, outside the 64-bit signed integers a typed integer holds (-2^63 to 2^63-1); store it as a string`, range: true };
      return null;
    case "undefined":
      return { text: "is undefined; leave the field out, or store null" };
    case "function":
      return { text: "is a function; only data can be stored" };
    case "symbol":
      return { text: "is a symbol; only data can be stored" };
    case "object":
      return objectProblem(value);
  }
  return { text: `has an unsupported type (${typeof value})` };
}

function objectProblem(value: object | null): { text: string; range?: true } | null {
  if (value === null || Array.isArray(value) || isPlainObject(value)) return null;
  if (value instanceof FieldValue) return { text: "is a FieldValue where only a stored value can go (inside an array, or an operand); a FieldValue stands for a whole field" };
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) return { text: "is an invalid Date (its time is NaN); only real instants can be stored" };
    if (ms < TIMESTAMP_SECONDS_MIN * 1000 || ms >= (TIMESTAMP_SECONDS_MAX + 1) * 1000) {
      return { text: `is a Date (${value.toISOString()}) outside years 1 to 9999, the range a typed timestamp holds`, range: true };
    }
    return null;
  }
  if (isTypedScalar(value)) return null;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return { text: `${describeKind(value)}; bytes are stored from a Uint8Array (new Uint8Array(buffer))` };
  return { text: `${describeKind(value)}; only plain objects, arrays, strings, finite numbers, booleans, null and the typed values (bigint, Date, Timestamp, Uint8Array, GeoPoint, DocumentReference) can be stored` };
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
