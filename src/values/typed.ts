/**
 * Typed values inside a document's JSON: integers, timestamps, bytes,
 * references and geo points, the types JSON (and google.protobuf.Struct)
 * cannot carry exactly.
 *
 * A document is JSON everywhere inside ImpossibleDB (shards, the change
 * log, write intents, Workers RPC), so a typed value travels as a *tagged
 * leaf*: a JSON object with exactly one key, the tag, whose name starts
 * with U+0001. No user field can be named so (field names refuse control
 * characters, validation/document-data.ts), so a tagged leaf is never
 * mistaken for a map, and every path that moves documents keeps types
 * without knowing about them. The payloads:
 *
 * | type      | tag            | payload                                   |
 * | --------- | -------------- | ----------------------------------------- |
 * | integer   | `\u0001int`    | decimal text of an int64                  |
 * | timestamp | `\u0001ts`     | RFC 3339, UTC, six fractional digits      |
 * | bytes     | `\u0001bytes`  | standard base64 with padding              |
 * | reference | `\u0001ref`    | [collection, id]                          |
 * | geo point | `\u0001geo`    | [latitude, longitude]                     |
 *
 * See src/values/README.md for how they are ordered, indexed and shown.
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { checkRef } from "../validation/refs.js";
import { parseTimestampText } from "./timestamp.js";

/** The tags, by type. */
export const TAG = {
  integer: "\u0001int",
  timestamp: "\u0001ts",
  bytes: "\u0001bytes",
  reference: "\u0001ref",
  geoPoint: "\u0001geo",
} as const;

/** The first character of every tag: a control character no field name may hold. */
export const TAG_PREFIX = "\u0001";

/** The smallest and largest int64. */
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/** A typed leaf, decoded. Timestamps are microseconds since 1970-01-01T00:00:00Z. */
export type TypedLeaf =
  | { readonly type: "integer"; readonly value: bigint }
  | { readonly type: "timestamp"; readonly micros: bigint; readonly text: string }
  | { readonly type: "bytes"; readonly base64: string }
  | { readonly type: "reference"; readonly collection: string; readonly id: string }
  | { readonly type: "geoPoint"; readonly latitude: number; readonly longitude: number };

const INTEGER_TEXT = /^-?(0|[1-9][0-9]{0,18})$/;
const BASE64_TEXT = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** True when `value` is an object whose one key is a tag (well-formed or not). */
export function looksTagged(value: JsonValue | undefined): boolean {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  let first: string | undefined;
  for (const key in value) {
    if (first !== undefined) return false;
    first = key;
  }
  return first !== undefined && first.startsWith(TAG_PREFIX);
}

/**
 * The typed leaf `value` stands for, or null when it is not a tagged leaf.
 * Throws when it looks tagged but is malformed: stored documents only ever
 * hold tags this module made, and user input is checked with
 * `tagProblem` first.
 */
export function typedLeafOf(value: JsonValue | undefined): TypedLeaf | null {
  if (!looksTagged(value)) return null;
  const leaf = decodeLeaf(value as JsonObject);
  if (typeof leaf === "string") throw new Error(`invariant broken: malformed typed value: ${leaf}`);
  return leaf;
}

/** Why a tagged-looking object is not a well-formed typed leaf, or null when it is one. */
export function tagProblem(value: JsonObject): string | null {
  const leaf = decodeLeaf(value);
  return typeof leaf === "string" ? leaf : null;
}

function decodeLeaf(value: JsonObject): TypedLeaf | string {
  const [tag] = Object.keys(value);
  const payload = value[tag!]!;
  switch (tag) {
    case TAG.integer: {
      if (typeof payload !== "string" || !INTEGER_TEXT.test(payload) || payload === "-0") return "integer payload is not decimal int64 text";
      const n = BigInt(payload);
      if (n < INT64_MIN || n > INT64_MAX) return "integer is outside int64";
      return { type: "integer", value: n };
    }
    case TAG.timestamp: {
      if (typeof payload !== "string") return "timestamp payload is not text";
      const micros = parseTimestampText(payload);
      return micros === null ? "timestamp payload is not canonical RFC 3339 text" : { type: "timestamp", micros, text: payload };
    }
    case TAG.bytes:
      return typeof payload === "string" && BASE64_TEXT.test(payload) ? { type: "bytes", base64: payload } : "bytes payload is not base64";
    case TAG.reference: {
      if (!Array.isArray(payload) || payload.length !== 2 || typeof payload[0] !== "string" || typeof payload[1] !== "string") return "reference payload is not [collection, id]";
      const problem = checkRef({ collection: payload[0], id: payload[1] });
      return problem === null ? { type: "reference", collection: payload[0], id: payload[1] } : problem.message;
    }
    case TAG.geoPoint: {
      if (!Array.isArray(payload) || payload.length !== 2) return "geo point payload is not [latitude, longitude]";
      const [lat, lng] = payload;
      if (typeof lat !== "number" || typeof lng !== "number") return "geo point payload is not two numbers";
      if (!(lat >= -90 && lat <= 90) || !(lng >= -180 && lng <= 180)) return "geo point is outside latitude [-90, 90], longitude [-180, 180]";
      return { type: "geoPoint", latitude: lat, longitude: lng };
    }
    default:
      return `unknown typed value tag ${JSON.stringify(tag)}`;
  }
}

/** The tagged leaf of an int64. */
export function integerLeaf(value: bigint): JsonObject {
  if (value < INT64_MIN || value > INT64_MAX) throw new RangeError(`integer ${value} is outside int64`);
  return { [TAG.integer]: value.toString() };
}

/** The tagged leaf of a timestamp given as canonical RFC 3339 text (timestamp.ts). */
export function timestampLeaf(text: string): JsonObject {
  return { [TAG.timestamp]: text };
}

/** The tagged leaf of bytes given as standard base64. */
export function bytesLeaf(base64: string): JsonObject {
  return { [TAG.bytes]: base64 };
}

/** The tagged leaf of a reference to collection/id. */
export function referenceLeaf(collection: string, id: string): JsonObject {
  return { [TAG.reference]: [collection, id] };
}

/** The tagged leaf of a geo point, in degrees. */
export function geoPointLeaf(latitude: number, longitude: number): JsonObject {
  return { [TAG.geoPoint]: [latitude === 0 ? 0 : latitude, longitude === 0 ? 0 : longitude] };
}

/** True when `value` holds a typed leaf anywhere inside it. */
export function holdsTypedValue(value: JsonValue): boolean {
  if (value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) return value.some(holdsTypedValue);
  if (looksTagged(value)) return true;
  for (const key in value) if (holdsTypedValue(value[key]!)) return true;
  return false;
}
