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
import { setOwn } from "../json/own-keys.js";
import { typedLeafOf, type TypedLeaf } from "./typed.js";

/** The JSON form of internal JSON: the same object when it holds no typed value. */
export function jsonForm(value: JsonValue): JsonValue {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    let out: JsonValue[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const v = jsonForm(value[i]!);
      if (v !== value[i] && out === null) out = value.slice(0, i);
      if (out !== null) out.push(v);
    }
    return out ?? value;
  }
  const leaf = typedLeafOf(value);
  if (leaf !== null) return leafJsonForm(leaf);
  return jsonObjectForm(value);
}

/** The JSON form of a document's data (the same object when nothing is typed). */
export function jsonObjectForm(obj: JsonObject): JsonObject {
  let out: Record<string, JsonValue> | null = null;
  const keys = Object.keys(obj);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = jsonForm(obj[k]!);
    if (v !== obj[k] && out === null) {
      out = {};
      for (let j = 0; j < i; j++) setOwn(out, keys[j]!, obj[keys[j]!]!);
    }
    if (out !== null) setOwn(out, k, v);
  }
  return out ?? obj;
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
