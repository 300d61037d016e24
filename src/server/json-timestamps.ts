/**
 * Refuses JSON requests whose values protobuf-es would read as something
 * other than what the caller wrote, silently:
 *
 * - a google.protobuf.Timestamp string that names a date or time that does
 *   not exist (`2026-02-30T00:00:00Z`, `T24:00:00`): protobuf-es (2.x) reads
 *   RFC 3339 text with `Date.parse`, which in V8 rolls an impossible day over
 *   into the next month (February 30th becomes March 2nd);
 * - an integer of any width (`integer_value`, versions, `limit`, `page_size`:
 *   every int32, uint32, int64 and uint64 of the contract, fixed and zigzag
 *   forms too) written as text that is not decimal: protobuf-es reads 64-bit
 *   text with `BigInt` and 32-bit text with `Number`, which also take hex,
 *   octal and binary, leading zeros and (`Number`) exponents (`"0x10"` as 16,
 *   `"01"` as 1, `"1e1"` as 10), where protobuf JSON allows decimal digits
 *   only;
 * - a 64-bit integer written as a JSON number that is not a safe integer
 *   (past 2^53 - 1): JSON parsing has already rounded it (9007199254740993
 *   reads as 9007199254740992), so the caller's value is lost. The refusal
 *   names the number as the request's text spelled it when that is one
 *   literal, and otherwise says it was rounded. Protobuf JSON writes int64
 *   as a decimal string, which is read exactly. (A 32-bit integer is
 *   checked by protobuf-es's own range check.)
 * - a JSON number anywhere in the request (document data included) that no
 *   double holds as written: too large (`1e400` reads as Infinity), not zero
 *   but read as 0 (`1e-400`: it would be stored, or compared, as 0), or a
 *   subnormal it does not spell (`3e-324` reads as 5e-324). The rule and
 *   the words are the AIP-160 filter's for the same literal
 *   (query/filter-number.ts doubleLiteralProblem), so a document stores no
 *   number its filter would refuse. A too large one is named with its field
 *   path (JSON parsing made it Infinity, which the walk finds); the others
 *   read as ordinary doubles, so they are found in the request's text. A
 *   whole number past 2^53 in document data is stored as its nearest
 *   double, as documented (docs/data-types.md), as a filter reads it.
 *
 * The binary form and gRPC clients cannot say any of these; Connect JSON
 * (curl, browsers) can. So before Connect decodes a JSON request, its
 * message is walked along the method's input descriptor and each such
 * value is checked here.
 */
import { ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { DOCUMENT_DEPTH_MAX, FILTER_DEPTH_MAX } from "../limits.js";
import { isRealDateTime } from "../values/timestamp.js";
import { doubleLiteralProblem, tooLargeForDouble } from "../query/filter-number.js";

/**
 * How deep (in nested messages) the walk follows a request. A typed value
 * takes two messages per level of maps or arrays (Value, then MapValue or
 * ArrayValue), and so does a filter per level of nesting (Filter, then
 * CompositeFilter); a request's own envelope (a batch's writes, a
 * transaction's commit) adds a few. Anything deeper is refused by those
 * limits anyway.
 */
const JSON_WALK_DEPTH_MAX = 2 * (DOCUMENT_DEPTH_MAX + FILTER_DEPTH_MAX) + 16;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/** An integer as protobuf JSON writes it: decimal digits, an optional minus sign, no leading zeros. */
const DECIMAL_INT64 = /^-?(?:0|[1-9][0-9]*)$/;

const INT64_SCALARS: ReadonlySet<ScalarType> = new Set([ScalarType.INT64, ScalarType.SINT64, ScalarType.SFIXED64, ScalarType.UINT64, ScalarType.FIXED64]);

/** Protobuf JSON may write a double as a string (`"1e-400"`), which protobuf-es reads with Number: the text scan of JSON numbers does not see it. */
const DOUBLE_SCALARS: ReadonlySet<ScalarType> = new Set([ScalarType.DOUBLE, ScalarType.FLOAT]);

/** Why no double holds a double written as the decimal string `text` as written (filter-number.ts), or undefined; "NaN" and "Infinity" are document validation's. */
function doubleTextProblem(text: string): string | undefined {
  const literal = text.trim();
  const why = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(literal) ? doubleLiteralProblem(literal) : undefined;
  return why === undefined ? undefined : `${JSON.stringify(text)}: ${why}`;
}

/**
 * The refusal of `value`, a parsed JSON number that is not finite: JSON has
 * no Infinity, so JSON parsing made it of a literal too large for a double.
 * Named as sent when the text holds one such literal of its sign.
 */
function overflowProblem(value: number, literals: readonly string[]): string {
  const sent = new Set(literals.filter((l) => Number(l) === value));
  const [only] = sent;
  return tooLargeForDouble(sent.size === 1 ? only : undefined);
}

/** google.protobuf types whose JSON form is plain JSON (the user's data): walked for numbers too large for a double. */
const PLAIN_JSON_TYPES: ReadonlySet<string> = new Set(["google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"]);

/** Keys a path shows after a dot; others are shown quoted in brackets. */
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

const INT32_SCALARS: ReadonlySet<ScalarType> = new Set([ScalarType.INT32, ScalarType.SINT32, ScalarType.SFIXED32, ScalarType.UINT32, ScalarType.FIXED32]);

/** The JSON number literals of a request's text, outside strings, for naming a rounded one as sent. */
export function jsonNumberLiterals(text: string): string[] {
  const out: string[] = [];
  const number = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  for (let i = 0; i < text.length; ) {
    const c = text[i]!;
    if (c === '"') {
      // Skip the string, escapes included.
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
      i++;
    } else if (c === "-" || (c >= "0" && c <= "9")) {
      number.lastIndex = i;
      const m = number.exec(text);
      if (m === null) return out;
      out.push(m[0]);
      i += m[0].length;
    } else {
      i++;
    }
  }
  return out;
}

/** Why a Timestamp's text names no real instant, or undefined (text that is not RFC 3339 at all is Connect's to refuse). */
export function impossibleDateTime(text: string): string | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  const offsetOk = m[7] === undefined || (Number(m[7]) <= 23 && Number(m[8]) <= 59);
  if (isRealDateTime(year, month, day, hour, minute, second) && offsetOk) return undefined;
  return `${JSON.stringify(text)} is not a real date and time`;
}

/**
 * Why a JSON value given for a 64-bit integer field would not be read as
 * written, or undefined. Values that are neither strings nor whole numbers
 * (`1.5`, `true`) are Connect's to refuse.
 */
export function inexactInt64(json: unknown, literals: readonly string[] = []): string | undefined {
  if (typeof json === "string") return nonDecimal(json);
  if (typeof json === "number" && Number.isInteger(json) && !Number.isSafeInteger(json)) {
    const sent = new Set(literals.filter((l) => Number(l) === json));
    const [only] = sent;
    // Named as sent when the text holds one literal that reads as this value; otherwise as read, saying so.
    const what =
      sent.size !== 1
        ? `${json} is a JSON number beyond 2^53 - 1 as read (what was sent may have been rounded to it), which JSON cannot carry exactly`
        : only === String(json)
          ? `${json} is a JSON number beyond 2^53 - 1, which JSON cannot carry exactly`
          : `${only} is a JSON number beyond 2^53 - 1, which JSON cannot carry exactly (JSON parsing rounded it to ${json})`;
    return `${what}; send a 64-bit integer as a decimal string, as protobuf JSON does, such as "9007199254740993"`;
  }
  return undefined;
}

/**
 * Why a JSON value given for a 32-bit integer field would not be read as
 * written, or undefined: text that is not decimal. Numbers (whole, in
 * range) are protobuf-es's to check.
 */
export function inexactInt32(json: unknown): string | undefined {
  return typeof json === "string" ? nonDecimal(json) : undefined;
}

function nonDecimal(text: string): string | undefined {
  if (DECIMAL_INT64.test(text)) return undefined;
  return `${JSON.stringify(text)} is not a decimal integer; protobuf JSON writes an integer as decimal digits with an optional minus sign and no leading zeros, such as "16"`;
}

/**
 * The first value of a JSON request message that would not be read as
 * written (an impossible Timestamp, an integer in text that is not decimal,
 * a rounded int64), as "field.path: why", or undefined. `text` is the
 * request as sent, when there is one: a rounded number is then named as it
 * was spelled.
 */
export function jsonRequestProblem(desc: DescMessage, json: unknown, text?: string): string | undefined {
  let literals: string[] | null = null;
  const scan = () => (literals ??= text === undefined ? [] : jsonNumberLiterals(text));
  return walk(desc, json, "", 0, scan) ?? literalProblem(scan());
}

/** The first number literal of the request's text that no double holds as written, in the filter's words (filter-number.ts). */
function literalProblem(literals: readonly string[]): string | undefined {
  for (const literal of literals) {
    const why = doubleLiteralProblem(literal);
    if (why !== undefined) return why;
  }
  return undefined;
}

/**
 * The first number too large for a double in plain JSON (a Struct's, a
 * Value's or a ListValue's: document data, query operands), as
 * "path: why", or undefined. Bounded by JSON_WALK_DEPTH_MAX like the walk.
 */
function plainJsonProblem(value: unknown, at: string, depth: number, literals: Literals): string | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? undefined : `${at}: ${overflowProblem(value, literals())}`;
  if (value === null || typeof value !== "object" || depth > JSON_WALK_DEPTH_MAX) return undefined;
  if (Array.isArray(value)) return firstProblem(value.entries(), (item, i) => plainJsonProblem(item, `${at}[${i}]`, depth + 1, literals));
  return firstProblem(Object.entries(value), (item, key) => plainJsonProblem(item, PLAIN_KEY.test(key) ? `${at}.${key}` : `${at}[${JSON.stringify(key)}]`, depth + 1, literals));
}

/** The number literals of the request's text, scanned only when a rounded number needs naming. */
type Literals = () => readonly string[];

function walk(desc: DescMessage, json: unknown, path: string, depth: number, literals: Literals): string | undefined {
  if (json === null || typeof json !== "object" || Array.isArray(json) || depth > JSON_WALK_DEPTH_MAX) return undefined;
  const obj = json as Record<string, unknown>;
  for (const field of desc.fields) {
    const value = Object.hasOwn(obj, field.jsonName) ? obj[field.jsonName] : Object.hasOwn(obj, field.name) ? obj[field.name] : undefined;
    if (value === undefined || value === null) continue;
    const problem = fieldProblem(field, value, path === "" ? field.name : `${path}.${field.name}`, depth, literals);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function fieldProblem(field: DescField, value: unknown, at: string, depth: number, literals: Literals): string | undefined {
  switch (field.fieldKind) {
    case "message":
      return messageProblem(field.message, value, at, depth, literals);
    case "scalar":
      return scalarProblem(field.scalar, value, at, literals);
    case "list":
      if (!Array.isArray(value)) return undefined;
      if (field.listKind === "message") return firstProblem(value.entries(), (item, i) => messageProblem(field.message, item, `${at}[${i}]`, depth, literals));
      if (field.listKind === "scalar") return firstProblem(value.entries(), (item, i) => scalarProblem(field.scalar, item, `${at}[${i}]`, literals));
      return undefined;
    case "map":
      if (value === null || typeof value !== "object") return undefined;
      if (field.mapKind === "message") return firstProblem(Object.entries(value), (item, k) => messageProblem(field.message, item, `${at}.${k}`, depth, literals));
      if (field.mapKind === "scalar") return firstProblem(Object.entries(value), (item, k) => scalarProblem(field.scalar, item, `${at}.${k}`, literals));
      return undefined;
    default:
      return undefined;
  }
}

function firstProblem<K>(entries: Iterable<[K, unknown]>, check: (item: unknown, key: K) => string | undefined): string | undefined {
  for (const [key, item] of entries) {
    const problem = check(item, key);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function scalarProblem(scalar: ScalarType, value: unknown, at: string, literals: Literals): string | undefined {
  const why = INT64_SCALARS.has(scalar)
    ? inexactInt64(value, typeof value === "number" && !Number.isSafeInteger(value) ? literals() : [])
    : INT32_SCALARS.has(scalar)
      ? inexactInt32(value)
      : DOUBLE_SCALARS.has(scalar) && typeof value === "string"
        ? doubleTextProblem(value)
        : DOUBLE_SCALARS.has(scalar) && typeof value === "number" && !Number.isFinite(value)
          ? overflowProblem(value, literals())
          : undefined;
  return why === undefined ? undefined : `${at}: ${why}`;
}

function messageProblem(desc: DescMessage, value: unknown, at: string, depth: number, literals: Literals): string | undefined {
  if (desc.typeName === "google.protobuf.Timestamp") {
    const why = typeof value === "string" ? impossibleDateTime(value) : undefined;
    return why === undefined ? undefined : `${at}: ${why}`;
  }
  // The 64-bit wrappers are written as the integer itself.
  if (desc.typeName === "google.protobuf.Int64Value" || desc.typeName === "google.protobuf.UInt64Value") return scalarProblem(ScalarType.INT64, value, at, literals);
  if (desc.typeName === "google.protobuf.Int32Value" || desc.typeName === "google.protobuf.UInt32Value") return scalarProblem(ScalarType.INT32, value, at, literals);
  // Struct and Value are plain JSON, whose keys are the user's: no Timestamp or integer
  // inside to check, but a number too large for a double is found by its path.
  if (PLAIN_JSON_TYPES.has(desc.typeName)) return plainJsonProblem(value, at, depth, literals);
  // Other well-known types have JSON forms of their own.
  if (desc.typeName.startsWith("google.protobuf.")) return undefined;
  return walk(desc, value, at, depth + 1, literals);
}
