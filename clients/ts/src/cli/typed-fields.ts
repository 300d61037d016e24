/**
 * The `"fields"` member of export and import records: a document's typed
 * form (`Document.fields`, a map of impossibledb.v1.Value) in protobuf JSON,
 * the JSON `buf curl` shows, such as
 * `{"n": {"integerValue": "9007199254740993"}, "at": {"timestampValue": "2026-11-30T15:04:05.123456Z"}}`.
 *
 * Export writes it, beside `"data"`, for a document that holds a typed value
 * (the server sends `fields` only then), so integers, timestamps, bytes,
 * references and geo points survive an export and an import exactly.
 * Import reads it back: protobuf-es parses the protobuf JSON, and the SDK's
 * own decoder (value-codec.ts) turns the values into its JavaScript types,
 * which the SDK's writers check and encode again (writes.ts). So the CLI
 * holds no conversion of its own; it only refuses what that path would
 * change without a word (see wireProblem).
 */
import { fromJson, toJson, type JsonObject } from "@bufbuild/protobuf";
import { ValueSchema, type Value } from "../gen/impossibledb/v1/document_pb.js";
import { VALUE_DEPTH_MAX } from "../limits.js";
import { isDecimalInt64Text } from "../number-text.js";
import { decodeValue, type DocumentData, type ValueDecoder } from "../value-codec.js";
import { jsonFormOfFields } from "./json-form.js";
import { checkCollectionName, checkId } from "./names.js";

/** Nanoseconds in a microsecond: the server stores timestamps to the microsecond. */
const NANOS_PER_MICRO = 1000;

/** A document's typed fields (from the wire) in protobuf JSON, for an export record's `"fields"`. */
export function typedFieldsJson(fields: Readonly<Record<string, Value>>): JsonObject {
  const out: JsonObject = {};
  // Own data properties only: a field named `__proto__` stays a field.
  for (const name of Object.keys(fields)) {
    Object.defineProperty(out, name, { value: toJson(ValueSchema, fields[name]!), writable: true, enumerable: true, configurable: true });
  }
  return out;
}

/**
 * An import record's `"fields"` (protobuf JSON of typed values) as document
 * data in the SDK's types, with its JSON form (json-form.ts: what the
 * server's `data`, and so export's `"data"`, shows for it), or why it cannot
 * be imported exactly. `decoder` must read timestamps as Timestamps
 * (`timestamps: "timestamp"`), which keep their microseconds; references it
 * makes are only re-encoded, never called.
 */
export function typedFieldsData(json: unknown, decoder: ValueDecoder): { data: DocumentData; jsonForm: JsonObject } | { problem: string } {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return { problem: '"fields" must be an object of typed values, such as {"n": {"integerValue": "1"}}' };
  }
  if (decoder.timestamps !== "timestamp") throw new Error("typedFieldsData: the decoder must read timestamps as Timestamps, or microseconds are lost");
  const data: DocumentData = {};
  const wire: Record<string, Value> = {};
  for (const name of Object.keys(json)) {
    const raw = (json as Record<string, unknown>)[name];
    const where = `"fields" member ${JSON.stringify(name)}`;
    let value: Value;
    try {
      value = fromJson(ValueSchema, raw as never);
    } catch (err) {
      return { problem: `${where}: ${(err as Error).message}` };
    }
    // The field's value is level 2 when it is a map or an array: the document is level 1.
    const problem = wireProblem(value, raw, 2);
    if (problem !== null) return { problem: `${where}${problem.at === "" ? "" : `, at ${problem.at}`}: ${problem.text}` };
    try {
      Object.defineProperty(data, name, { value: decodeValue(value, decoder), writable: true, enumerable: true, configurable: true });
      Object.defineProperty(wire, name, { value, writable: true, enumerable: true, configurable: true });
    } catch (err) {
      // The SDK's classes refuse what they cannot hold (a GeoPoint out of range: RangeError).
      return { problem: `${where}: ${(err as Error).message}` };
    }
  }
  return { data, jsonForm: jsonFormOfFields(wire) };
}

/**
 * What protobuf JSON lets through but the import could not carry exactly, or
 * null: a value with no type (`{}`, which would become null), a timestamp
 * finer than a microsecond (the decoder, like the server, keeps
 * microseconds), an int64 written as a JSON number past 2^53 (JSON
 * parsing has already rounded it; protobuf JSON writes int64 as a string)
 * or as text that is not decimal (`"0x10"`, `"01"`: BigInt reads them, the
 * server refuses them).
 * Also a reference the server would refuse (names.ts): the server refuses a
 * whole batch for one, so the first pass names its line instead.
 * `raw` is the JSON the value was parsed from, walked alongside it;
 * `depth` is the value's level when it is a map or an array (the document
 * is level 1), which VALUE_DEPTH_MAX bounds so the walk cannot exhaust the
 * stack (the server's DOCUMENT_DEPTH_MAX, lower, answers for the rest).
 */
function wireProblem(value: Value, raw: unknown, depth: number): { at: string; text: string } | null {
  const here = (text: string) => ({ at: "", text });
  const kind = value.kind;
  // Levels are counted as the server counts a document's (one per map or array, none for a scalar).
  if ((kind.case === "arrayValue" || kind.case === "mapValue") && depth > VALUE_DEPTH_MAX) return here(`nested more than VALUE_DEPTH_MAX (${VALUE_DEPTH_MAX}) levels deep`);
  const member = (name: string): unknown => (raw as Record<string, unknown>)[name];
  switch (kind.case) {
    case undefined:
      return here("a value needs one of nullValue, booleanValue, integerValue, doubleValue, timestampValue, stringValue, bytesValue, referenceValue, geoPointValue, arrayValue, mapValue");
    case "integerValue": {
      const written = member("integerValue");
      if (typeof written === "number" && !Number.isSafeInteger(written)) {
        return here(`the integer ${String(written)} is a JSON number past 2^53, which JSON parsing has already rounded: write an int64 as a string ("integerValue": "9007199254740993"), as export does`);
      }
      // protobuf-es reads the text with BigInt, which also takes hex, octal, binary and leading zeros ("0x10" as 16).
      if (typeof written === "string" && !isDecimalInt64Text(written)) {
        return here(`the integer ${JSON.stringify(written)} is not a decimal integer: protobuf JSON writes an int64 in decimal digits, with an optional minus sign and no leading zeros ("integerValue": "16")`);
      }
      return null;
    }
    case "referenceValue": {
      const problem = checkCollectionName(kind.value.collection) ?? checkId(kind.value.id);
      return problem === null ? null : here(`the reference ${JSON.stringify(`${kind.value.collection}/${kind.value.id}`)} is not valid: ${problem}`);
    }
    case "timestampValue": {
      const written = member("timestampValue");
      // protobuf-es reads the text with Date.parse, which rolls an impossible
      // date over (2026-02-30 becomes 2026-03-02): the text itself is checked.
      if (typeof written === "string" && !isRealRfc3339(written)) return here(`the timestamp ${JSON.stringify(written)} is not a real date and time`);
      if (kind.value.nanos % NANOS_PER_MICRO !== 0) return here(`the timestamp ${JSON.stringify(written)} is finer than the microsecond timestamps are stored to`);
      return null;
    }
    case "arrayValue": {
      const elements = (member("arrayValue") as { values?: unknown[] } | undefined)?.values ?? [];
      for (const [i, element] of kind.value.values.entries()) {
        const problem = wireProblem(element, elements[i], depth + 1);
        if (problem !== null) return { at: `[${i}]${problem.at}`, text: problem.text };
      }
      return null;
    }
    case "mapValue": {
      const fields = (member("mapValue") as { fields?: Record<string, unknown> } | undefined)?.fields ?? {};
      for (const name of Object.keys(kind.value.fields)) {
        const problem = wireProblem(kind.value.fields[name]!, fields[name], depth + 1);
        if (problem !== null) return { at: `[${JSON.stringify(name)}]${problem.at}`, text: problem.text };
      }
      return null;
    }
    default:
      return null;
  }
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/;

/** True when RFC 3339 text names a real date and time (month length, leap years, hours 0-23, offsets up to 23:59). */
function isRealRfc3339(text: string): boolean {
  const m = RFC3339.exec(text);
  if (m === null) return true; // protobuf-es refuses what is not RFC 3339 at all
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  const offsetReal = m[7] === undefined || (Number(m[7]) <= 23 && Number(m[8]) <= 59);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day && hour <= 23 && minute <= 59 && second <= 59 && offsetReal;
}
