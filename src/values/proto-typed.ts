/**
 * Conversions between the wire's typed `impossibledb.v1.Value` and the
 * JSON (with tagged leaves, values/typed.ts) that documents are inside
 * ImpossibleDB, with the checks the wire cannot make: doubles finite,
 * strings and names well-formed Unicode, timestamps to the microsecond and
 * in range, references well-formed, nesting bounded like a document's.
 * Errors are INVALID_ARGUMENT naming the field (`where`).
 */
import { create, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { NullValue } from "@bufbuild/protobuf/wkt";
import { ValueSchema, type Value } from "../../gen/impossibledb/v1/document_pb.js";
import { FailureError } from "../errors.js";
import { setOwn } from "../json/own-keys.js";
import { DOCUMENT_DEPTH_MAX } from "../limits.js";
import { checkRef } from "../validation/refs.js";
import { loneSurrogateProblem } from "../validation/unicode.js";
import { base64Bytes, bytesBase64 } from "./order-key.js";
import { microsFromProto, protoFromMicros, timestampText } from "./timestamp.js";
import { bytesLeaf, geoPointLeaf, integerLeaf, referenceLeaf, timestampLeaf, typedLeafOf } from "./typed.js";

const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * The internal JSON of a typed wire value. `depth` is the level the value
 * has when it is a map or an array, counted as documents count it
 * (validation/document-data.ts): the document is level 1, and each map or
 * array inside it one more; scalars and typed leaves add no level. So a
 * value given in the typed form nests exactly as deep as the same value in
 * the JSON form may (they were counted apart: a typed map took two levels
 * and a scalar one, so `fields` refused at half the depth `data` allowed).
 */
export function jsonFromTyped(value: Value, where: string, depth = 1): JsonValue {
  const kind = value.kind;
  switch (kind.case) {
    case "nullValue":
      // Binary protobuf carries any enum number; NULL_VALUE (0) is the only one.
      const nullNumber: number = kind.value;
      if (nullNumber !== NullValue.NULL_VALUE) throw invalid(`${where}.null_value is ${nullNumber}, not a NullValue; only NULL_VALUE (0) is one`);
      return null;
    case "booleanValue":
      return kind.value;
    case "integerValue":
      return integerLeaf(kind.value);
    case "doubleValue":
      if (!Number.isFinite(kind.value)) throw invalid(`${where} is ${kind.value}; doubles must be finite`);
      return kind.value;
    case "timestampValue": {
      const micros = microsFromProto(kind.value.seconds, kind.value.nanos);
      if (typeof micros === "string") throw invalid(`${where} ${micros}`);
      return timestampLeaf(timestampText(micros));
    }
    case "stringValue": {
      const problem = loneSurrogateProblem(kind.value);
      if (problem !== null) throw invalid(`${where} is a string that ${problem}`);
      return kind.value;
    }
    case "bytesValue":
      return bytesLeaf(bytesBase64(kind.value));
    case "referenceValue": {
      const ref = { collection: kind.value.collection, id: kind.value.id };
      const problem = checkRef(ref);
      if (problem !== null) throw invalid(`${where} is not a valid reference: ${problem.message}`);
      return referenceLeaf(ref.collection, ref.id);
    }
    case "geoPointValue": {
      const { latitude, longitude } = kind.value;
      if (!(latitude >= -90 && latitude <= 90)) throw invalid(`${where}.latitude is ${latitude}; it must be within [-90, 90]`);
      if (!(longitude >= -180 && longitude <= 180)) throw invalid(`${where}.longitude is ${longitude}; it must be within [-180, 180]`);
      return geoPointLeaf(latitude, longitude);
    }
    case "arrayValue":
      if (depth > DOCUMENT_DEPTH_MAX) throw tooDeep(where);
      return kind.value.values.map((v, i) => jsonFromTyped(v, `${where}[${i}]`, depth + 1));
    case "mapValue":
      return jsonFromTypedFields(kind.value.fields, where, depth);
    case undefined:
      throw invalid(`${where} has no value set`);
  }
}

/**
 * The internal JSON object of a typed map (document fields); `where` names
 * it in errors. `depth` is the map's level: 1 for a document's fields.
 */
export function jsonFromTypedFields(fields: { [key: string]: Value }, where: string, depth = 1): JsonObject {
  if (depth > DOCUMENT_DEPTH_MAX) throw tooDeep(where);
  // Keys are the user's (`__proto__` among them): own properties only, see own-keys.ts.
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(fields)) {
    const problem = loneSurrogateProblem(k);
    if (problem !== null) throw invalid(`${where} has a field name ${JSON.stringify(k)} that ${problem}`);
    // Field names never hold control characters (validation/document-data.ts); refusing them here
    // also keeps a user's map from passing for a typed value's tag (values/typed.ts).
    if (CONTROL.test(k)) throw invalid(`${where} has a field name ${JSON.stringify(k)} with a control character; field names may not hold U+0000-U+001F or U+007F`);
    setOwn(out, k, jsonFromTyped(v, `${where}.${k}`, depth + 1));
  }
  return out;
}

/**
 * The typed wire value of internal JSON. A JSON number is a double: the
 * Struct form has no integers, so only an integer written as one is one.
 */
export function typedFromJson(json: JsonValue): Value {
  if (json === null) return create(ValueSchema, { kind: { case: "nullValue", value: NullValue.NULL_VALUE } });
  switch (typeof json) {
    case "boolean":
      return create(ValueSchema, { kind: { case: "booleanValue", value: json } });
    case "number":
      return create(ValueSchema, { kind: { case: "doubleValue", value: json } });
    case "string":
      return create(ValueSchema, { kind: { case: "stringValue", value: json } });
  }
  if (Array.isArray(json)) return create(ValueSchema, { kind: { case: "arrayValue", value: { values: json.map(typedFromJson) } } });
  const leaf = typedLeafOf(json);
  if (leaf === null) return create(ValueSchema, { kind: { case: "mapValue", value: { fields: typedFieldsFromJson(json) } } });
  switch (leaf.type) {
    case "integer":
      return create(ValueSchema, { kind: { case: "integerValue", value: leaf.value } });
    case "timestamp":
      return create(ValueSchema, { kind: { case: "timestampValue", value: protoFromMicros(leaf.micros) } });
    case "bytes":
      return create(ValueSchema, { kind: { case: "bytesValue", value: base64Bytes(leaf.base64) } });
    case "reference":
      return create(ValueSchema, { kind: { case: "referenceValue", value: { collection: leaf.collection, id: leaf.id } } });
    case "geoPoint":
      return create(ValueSchema, { kind: { case: "geoPointValue", value: { latitude: leaf.latitude, longitude: leaf.longitude } } });
  }
}

/** The typed wire fields of an internal JSON object. */
export function typedFieldsFromJson(obj: JsonObject): { [key: string]: Value } {
  const fields: Record<string, Value> = {};
  for (const [k, v] of Object.entries(obj)) setOwn(fields, k, typedFromJson(v));
  return fields;
}

function tooDeep(where: string): FailureError {
  return invalid(`${where} nests deeper than DOCUMENT_DEPTH_MAX (${DOCUMENT_DEPTH_MAX}) levels of maps and arrays`);
}

function invalid(message: string): FailureError {
  return new FailureError("invalid_argument", message);
}
