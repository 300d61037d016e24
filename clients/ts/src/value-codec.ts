/**
 * Typed values between JavaScript and the wire (the contract's `Value`,
 * proto/impossibledb/v1/document.proto), both ways:
 *
 * | JavaScript | wire |
 * | --- | --- |
 * | null | null_value |
 * | boolean | boolean_value |
 * | number (always) | double_value |
 * | bigint (-2^63 .. 2^63-1) | integer_value |
 * | Date, Timestamp | timestamp_value (microseconds) |
 * | string | string_value |
 * | Uint8Array (a Buffer too) | bytes_value |
 * | DocumentReference (`collection.doc(id)`) | reference_value |
 * | GeoPoint | geo_point_value |
 * | array | array_value |
 * | plain object | map_value |
 *
 * A `number` is a double whatever its value, so data of JSON values only
 * means what it meant before typed values existed; only a bigint is an
 * integer. Reads give back the same types, a timestamp as a Date or (with
 * `timestamps: "timestamp"`) a Timestamp. Values reach the encoder checked
 * (values.ts): it asserts rather than explains.
 */
import type { JsonValue, MessageInitShape } from "@bufbuild/protobuf";
import { NullValue } from "@bufbuild/protobuf/wkt";
import { DocumentReference } from "./DocumentReference.js";
import type { Value as WireValue, ValueSchema } from "./gen/impossibledb/v1/document_pb.js";
import { GeoPoint } from "./geo-point.js";
import { MICROS_PER_SECOND } from "./limits.js";
import { Timestamp } from "./timestamp.js";

/** A value a document field can hold, in JavaScript's types (see the module comment). */
export type TypedValue = JsonValue | bigint | Date | Timestamp | Uint8Array | GeoPoint | DocumentReference<DocumentData> | TypedValue[] | DocumentData;

/** A document's fields: JSON values and typed values (Date, bigint, Uint8Array, GeoPoint, DocumentReference, Timestamp) at any depth. */
export interface DocumentData {
  [field: string]: TypedValue;
}

/** A value in the wire's form, to put in a request. */
export type WireValueInit = MessageInitShape<typeof ValueSchema>;

/** How reads turn typed values into JavaScript: the client's options, and how to make a DocumentReference. */
export interface ValueDecoder {
  /** "date" (the default): timestamps read as Dates (to the millisecond); "timestamp": as Timestamps (to the microsecond). */
  readonly timestamps: "date" | "timestamp";
  /** "typed" (the default): a document's typed fields when it has them; "json": always its JSON form (`data`), as before typed values. */
  readonly values: "typed" | "json";
  /** A reference to `collection/id`, for reference values. */
  reference(collection: string, id: string): DocumentReference<DocumentData>;
}

/** True for the values only the typed form carries: a bigint, Date, Timestamp, Uint8Array, GeoPoint or DocumentReference. */
export function isTypedScalar(value: unknown): boolean {
  return (
    typeof value === "bigint" ||
    value instanceof Date ||
    value instanceof Timestamp ||
    value instanceof Uint8Array ||
    value instanceof GeoPoint ||
    value instanceof DocumentReference
  );
}

/** A checked value in the wire's typed form. */
export function encodeValue(value: TypedValue): WireValueInit {
  if (value === null) return { kind: { case: "nullValue", value: NullValue.NULL_VALUE } };
  switch (typeof value) {
    case "boolean":
      return { kind: { case: "booleanValue", value } };
    case "number":
      return { kind: { case: "doubleValue", value } };
    case "bigint":
      return { kind: { case: "integerValue", value } };
    case "string":
      return { kind: { case: "stringValue", value } };
  }
  if (value instanceof Date) return encodeTimestamp(Timestamp.fromDate(value));
  if (value instanceof Timestamp) return encodeTimestamp(value);
  if (value instanceof Uint8Array) return { kind: { case: "bytesValue", value } };
  if (value instanceof GeoPoint) return { kind: { case: "geoPointValue", value: { latitude: value.latitude, longitude: value.longitude } } };
  if (value instanceof DocumentReference) return { kind: { case: "referenceValue", value: { collection: value.collection.name, id: value.id } } };
  if (Array.isArray(value)) return { kind: { case: "arrayValue", value: { values: value.map(encodeValue) } } };
  if (typeof value === "object") return { kind: { case: "mapValue", value: { fields: encodeFields(value as DocumentData) } } };
  throw new Error(`encodeValue: a value of type ${typeof value} reached the encoder unchecked`);
}

/** A checked document's fields in the wire's typed form. */
export function encodeFields(data: DocumentData): Record<string, WireValueInit> {
  const out: Record<string, WireValueInit> = {};
  // Own data properties only: a field named `__proto__` stays a field.
  for (const key of Object.keys(data)) Object.defineProperty(out, key, { value: encodeValue(data[key]!), writable: true, enumerable: true, configurable: true });
  return out;
}

function encodeTimestamp(t: Timestamp): WireValueInit {
  return { kind: { case: "timestampValue", value: { seconds: t.seconds, nanos: t.microseconds * 1000 } } };
}

/** A wire value in JavaScript's types (see the module comment). */
export function decodeValue(value: WireValue, decoder: ValueDecoder): TypedValue {
  const kind = value.kind;
  switch (kind.case) {
    case "nullValue":
    case undefined:
      return null;
    case "booleanValue":
    case "doubleValue":
    case "stringValue":
    case "integerValue":
      return kind.value;
    case "timestampValue": {
      const micros = kind.value.seconds * BigInt(MICROS_PER_SECOND) + BigInt(Math.floor(kind.value.nanos / 1000));
      const t = Timestamp.fromMicros(micros);
      return decoder.timestamps === "timestamp" ? t : t.toDate();
    }
    case "bytesValue":
      // A copy: in binary responses the field can be a view into the whole response's buffer.
      return kind.value.slice();
    case "referenceValue":
      return decoder.reference(kind.value.collection, kind.value.id);
    case "geoPointValue":
      return new GeoPoint(kind.value.latitude, kind.value.longitude);
    case "arrayValue":
      return kind.value.values.map((v) => decodeValue(v, decoder));
    case "mapValue":
      return decodeFields(kind.value.fields, decoder);
  }
}

/** A wire map of typed values as a plain object. */
export function decodeFields(fields: Record<string, WireValue>, decoder: ValueDecoder): DocumentData {
  const out: DocumentData = {};
  for (const key of Object.keys(fields)) Object.defineProperty(out, key, { value: decodeValue(fields[key]!, decoder), writable: true, enumerable: true, configurable: true });
  return out;
}
