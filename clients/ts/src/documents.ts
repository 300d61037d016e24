/**
 * The shapes the SDK hands to its users: plain objects with JavaScript's
 * types (value-codec.ts) and Dates, rather than generated protobuf messages.
 */
import { toJson } from "@bufbuild/protobuf";
import { timestampDate, ValueSchema } from "@bufbuild/protobuf/wkt";
import type { Value as WireTypedValue, Document, Precondition as WirePrecondition, WriteResult as WireWriteResult } from "./gen/impossibledb/v1/document_pb.js";
import type { Value as WireJsonValue } from "@bufbuild/protobuf/wkt";
import { INT64_MAX } from "./limits.js";
import { isDecimalInt64Text } from "./number-text.js";
import { checkOptions, describe } from "./options.js";
import { decodeFields, decodeValue, type DocumentData, type TypedValue, type ValueDecoder } from "./value-codec.js";

/** A stored document as read or written. */
export interface DocumentSnapshot<T extends DocumentData = DocumentData> {
  /** The collection it lives in. */
  collection: string;
  /** Its id. */
  id: string;
  /**
   * Its fields, in JavaScript's types: typed values as bigint, Date (or
   * Timestamp), Uint8Array, GeoPoint and DocumentReference, JSON values as
   * they are (numbers are doubles). With the client option `values: "json"`,
   * the JSON form the server also sends (timestamps as RFC 3339 text, bytes
   * as base64, references as "collection/id").
   */
  data: T;
  /** Its version: changes on every write; compare for equality only. */
  version: bigint;
  /** When it was created. */
  createTime?: Date;
  /** When it was last written. */
  updateTime?: Date;
}

/**
 * A condition checked atomically with a write; it fails with
 * FAILED_PRECONDITION. Exactly one of: `exists` (true: the document must
 * exist; false: it must not), or `version` (the document must be at exactly
 * this version: a DocumentSnapshot's `version`, a bigint; a safe integer
 * number or a decimal string is taken too), from 1 to 2^63-1. Anything else
 * is refused before it is sent (see checkedPrecondition).
 */
export type Precondition = { exists: boolean } | { version: bigint | number | string };

/** The members a precondition may have; wirePrecondition checks their values. */
const PRECONDITION_FIELDS = ["exists", "version"] as const;
const PRECONDITION_KINDS = { exists: "checked", version: "checked" } as const;

/** Spellings of a precondition's members that other clients use, and this SDK's. */
const PRECONDITION_HINTS: Readonly<Record<string, string>> = { exist: "exists", mustExist: "exists", must_exist: "exists", ifVersion: "version", lastUpdateTime: "version", updateTime: "version" };

/** What one write of a transaction or batch did. */
export interface WriteOutcome {
  /** The collection written. */
  collection: string;
  /** The id written. */
  id: string;
  /**
   * The document after the write: only when the call asked for documents
   * (`WriteBatch.commit({ returnDocuments: true })`) and it fit the answer;
   * undefined otherwise and after a delete.
   */
  document?: DocumentSnapshot;
  /** The version after the write; 0n after a delete. */
  version: bigint;
  /** When the write was applied. */
  updateTime?: Date;
  /**
   * The new value of each field the write's FieldValues changed, in the
   * order they appear in its data (empty when it had none), in
   * JavaScript's types as `data` (an integer sum is a bigint).
   */
  transformResults: TypedValue[];
}

/**
 * Converts a wire document: its typed fields when the server sent them
 * (it does for a document holding a typed value) and the decoder does not
 * ask for JSON, else its JSON data.
 */
export function snapshot<T extends DocumentData = DocumentData>(doc: Document, decoder: ValueDecoder): DocumentSnapshot<T> {
  const typed = decoder.values === "typed" && Object.keys(doc.fields).length > 0;
  return {
    collection: doc.collection,
    id: doc.id,
    data: (typed ? decodeFields(doc.fields, decoder) : (doc.data ?? {})) as T,
    version: doc.version,
    createTime: doc.createTime === undefined ? undefined : timestampDate(doc.createTime),
    updateTime: doc.updateTime === undefined ? undefined : timestampDate(doc.updateTime),
  };
}

/** Converts a wire write result. */
export function writeOutcome(result: WireWriteResult, decoder: ValueDecoder): WriteOutcome {
  return {
    collection: result.ref?.collection ?? "",
    id: result.ref?.id ?? "",
    document: result.document === undefined ? undefined : snapshot(result.document, decoder),
    version: result.version,
    updateTime: result.updateTime === undefined ? undefined : timestampDate(result.updateTime),
    transformResults: transformResults(result.transformResults, result.typedTransformResults, decoder),
  };
}

/**
 * A write's transform results: the typed ones when the server sent them
 * (one per transform) and the decoder does not ask for JSON, else the JSON ones.
 */
export function transformResults(json: readonly WireJsonValue[], typed: readonly WireTypedValue[], decoder: ValueDecoder): TypedValue[] {
  if (decoder.values === "typed" && typed.length === json.length && typed.length > 0) return typed.map((v) => decodeValue(v, decoder));
  return json.map((v) => toJson(ValueSchema, v));
}

/**
 * The wire form of a precondition, checked first: a precondition goes
 * into a oneof of a bool and an int64, and a value neither holds (`version:
 * "abc"`, a fraction, past 2^63-1) failed protobuf's serialization as
 * INTERNAL, while a misspelt member (`{ exist: false }`, `{ versoin: 1n }`)
 * sent no condition at all and the write went through unchecked. `where`
 * names the call in the error (`update(users/alice)`).
 * @throws TypeError for a precondition of the wrong shape (not an object,
 * an unknown member, neither or both of exists and version, a value of the
 * wrong type), RangeError for a version outside 1..2^63-1; each names the field.
 */
export function wirePrecondition(p: Precondition | undefined, where: string): Pick<WirePrecondition, "condition"> | undefined {
  if (p === undefined) return undefined;
  const at = `${where}: precondition`;
  checkOptions<Record<string, unknown>>(at, p as unknown as Record<string, unknown>, PRECONDITION_KINDS, PRECONDITION_HINTS, "field");
  const has = PRECONDITION_FIELDS.filter((name) => Object.hasOwn(p, name) && (p as Record<string, unknown>)[name] !== undefined);
  if (has.length !== 1) throw new TypeError(`${at} must have exactly one of exists and version, got ${has.length === 0 ? "neither" : "both"} ({ exists: boolean } or { version })`);
  if ("exists" in p && p.exists !== undefined) {
    if (typeof p.exists !== "boolean") throw new TypeError(`${at}.exists must be true or false, got ${describe(p.exists)}`);
    return { condition: { case: "exists", value: p.exists } };
  }
  return { condition: { case: "version", value: preconditionVersion((p as { version: unknown }).version, `${at}.version`) } };
}

/** A precondition's version as a bigint in 1..INT64_MAX (the contract's `gt = 0`): from a bigint, a safe integer or a decimal string. */
function preconditionVersion(value: unknown, at: string): bigint {
  let version: bigint;
  if (typeof value === "bigint") version = value;
  else if (typeof value === "number" && Number.isSafeInteger(value)) version = BigInt(value);
  // Only canonical decimal text (number-text.ts): BigInt also reads "01" (sent
  // as 1), " 1 ", "0x10" (16), "0o7" and "0b1", which no client should read as a version.
  else if (typeof value === "string" && isDecimalInt64Text(value)) version = BigInt(value);
  else {
    const why =
      typeof value === "number" ? (Number.isInteger(value) ? " (past 2^53 a number is not exact: pass the bigint the read returned)" : " (not a whole number)")
      : typeof value === "string" && /^\s*[+-]?(?:0[xob][0-9a-f]+|[0-9]+)\s*$/i.test(value) ? " (a decimal string is digits only, without leading zeros, a plus sign, spaces or a base prefix)"
      : "";
    throw new TypeError(`${at} must be a whole number (a bigint, as DocumentSnapshot.version is; a safe integer or a decimal string), got ${describe(value)}${why}`);
  }
  if (version < 1n || version > INT64_MAX) {
    const hint = version === 0n ? "; no document is at version 0: for one that must not exist, use { exists: false }" : "";
    throw new RangeError(`${at} must be from 1 to 2^63-1, got ${version}${hint}`);
  }
  return version;
}
