/**
 * The JSON form of typed values, as the server writes it in a document's
 * `data` (src/values/json-form.ts; docs/data-types.md, "Two forms of the
 * same data"): an integer as the nearest double, a timestamp as RFC 3339
 * text in UTC with six fractional digits, bytes as standard base64, a
 * reference as "collection/id", a geo point as {"latitude", "longitude"}.
 *
 * Export writes a typed document's `data` in this form beside its exact
 * `fields`; import accepts a record with both only when they agree, so a
 * record whose `data` says something its `fields` does not (a field it
 * lacks, another value) is refused rather than half of it dropped
 * (disagreement below).
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { Value } from "../gen/impossibledb/v1/document_pb.js";
import { MICROS_PER_SECOND } from "../limits.js";
import { Timestamp } from "../timestamp.js";

/** Nanoseconds in a microsecond. */
const NANOS_PER_MICRO = 1000;

/** The JSON form of a typed value, as the server's `data` shows it. */
export function jsonFormOf(value: Value): JsonValue {
  const kind = value.kind;
  switch (kind.case) {
    case undefined:
    case "nullValue":
      return null;
    case "booleanValue":
    case "doubleValue":
    case "stringValue":
      return kind.value;
    case "integerValue":
      return Number(kind.value);
    case "timestampValue":
      return Timestamp.fromMicros(kind.value.seconds * BigInt(MICROS_PER_SECOND) + BigInt(Math.floor(kind.value.nanos / NANOS_PER_MICRO))).toISOString();
    case "bytesValue":
      return Buffer.from(kind.value).toString("base64");
    case "referenceValue":
      return `${kind.value.collection}/${kind.value.id}`;
    case "geoPointValue":
      return { latitude: kind.value.latitude, longitude: kind.value.longitude };
    case "arrayValue":
      return kind.value.values.map(jsonFormOf);
    case "mapValue":
      return jsonFormOfFields(kind.value.fields);
  }
}

/** The JSON form of a map of typed values (a document's `fields`). */
export function jsonFormOfFields(fields: Readonly<Record<string, Value>>): JsonObject {
  const out: JsonObject = {};
  // Own data properties only: a field named `__proto__` stays a field.
  for (const name of Object.keys(fields)) {
    Object.defineProperty(out, name, { value: jsonFormOf(fields[name]!), writable: true, enumerable: true, configurable: true });
  }
  return out;
}

/**
 * Where `data` (a record's `"data"`, as JSON parsing gave it) and `form`
 * (the JSON form of its `"fields"`) first differ, or null when they are the
 * same JSON: `at` is the path there (`"a"["b"][0]`, "" for the whole
 * document), `data` and `fields` what each holds there (undefined for
 * nothing). Numbers compare as doubles (0 and -0 alike, as JSON prints them);
 * the order of an object's keys does not matter.
 */
export function disagreement(data: unknown, form: JsonValue, at = ""): { at: string; data: unknown; fields: JsonValue | undefined } | null {
  const here = { at, data, fields: form };
  if (form === null || typeof form !== "object") return data === form ? null : here;
  if (Array.isArray(form)) {
    if (!Array.isArray(data) || data.length !== form.length) return here;
    for (const [i, element] of form.entries()) {
      const found = disagreement(data[i], element, `${at}[${i}]`);
      if (found !== null) return found;
    }
    return null;
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) return here;
  const given = data as Record<string, unknown>;
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(form, name)) return { at: pathStep(at, name), data: given[name], fields: undefined };
  }
  for (const name of Object.keys(form)) {
    const step = pathStep(at, name);
    if (!Object.hasOwn(given, name)) return { at: step, data: undefined, fields: form[name] };
    const found = disagreement(given[name], form[name]!, step);
    if (found !== null) return found;
  }
  return null;
}

/** `at` followed by the member `name`: `"a"` at the top, `"a"["b"]` below it. */
function pathStep(at: string, name: string): string {
  return at === "" ? JSON.stringify(name) : `${at}[${JSON.stringify(name)}]`;
}
