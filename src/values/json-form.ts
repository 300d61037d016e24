/**
 * The JSON form of typed values: what a document's `data`
 * (google.protobuf.Struct) shows for a value it cannot carry exactly, as
 * the contract documents on `impossibledb.v1.Value`:
 *
 * - integer: the nearest double (exact up to 2^53 in magnitude);
 * - timestamp: RFC 3339 text in UTC with six fractional digits;
 * - bytes: standard base64 text with padding;
 * - reference: the text "collection/id";
 * - geo point: {"latitude": ..., "longitude": ...}.
 *
 * The typed form (`Document.fields`) carries every value exactly.
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { mapArrayOnWrite, mapObjectOnWrite } from "./copy-on-write.js";
import { typedLeafOf, type TypedLeaf } from "./typed.js";

/** The JSON form of internal JSON: the same object when it holds no typed value. */
export function jsonForm(value: JsonValue): JsonValue {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return mapArrayOnWrite(value, jsonForm) as JsonValue[];
  const leaf = typedLeafOf(value);
  if (leaf !== null) return leafJsonForm(leaf);
  return jsonObjectForm(value);
}

/** The JSON form of a document's data (the same object when nothing is typed). */
export function jsonObjectForm(obj: JsonObject): JsonObject {
  return mapObjectOnWrite(obj, jsonForm) as JsonObject;
}

/** The JSON form of one typed leaf. */
export function leafJsonForm(leaf: TypedLeaf): JsonValue {
  switch (leaf.type) {
    case "integer":
      return Number(leaf.value);
    case "timestamp":
      return leaf.text;
    case "bytes":
      return leaf.base64;
    case "reference":
      return `${leaf.collection}/${leaf.id}`;
    case "geoPoint":
      return { latitude: leaf.latitude, longitude: leaf.longitude };
  }
}
