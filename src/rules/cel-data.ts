/**
 * Document data as rules see it: typed values (values/typed.ts) as CEL's
 * own types, so a rule compares them as the query engine does: integers
 * as `int`, timestamps as `google.protobuf.Timestamp` (compare them with
 * `timestamp("2026-01-01T00:00:00Z")`), bytes as `bytes`. JSON values pass
 * unchanged.
 *
 * References and geo points have no CEL type, and must not pass for one
 * that could disagree with the query engine: a rule's comparisons are
 * pushed into the shards' SQL (rules/translate.ts), where a reference is
 * never equal to a string and a path into a geo point (`g.latitude`)
 * reaches nothing. Shown as the text "collection/id" or a map
 * `{latitude, longitude}`, `resource.data.r != "users/alice"` would deny a
 * point read but let a query return the document (found by a new-user
 * test). So they stay opaque: a one-key map whose key no rule can name,
 * which equals no string, list or other map and has no field a rule can
 * select, exactly as the pushed filter sees them. Rules that need an owner
 * should read a string field.
 */
import { create, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { TimestampSchema, type Timestamp } from "@bufbuild/protobuf/wkt";
import { mapArrayOnWrite, mapObjectOnWrite } from "../values/copy-on-write.js";
import { base64Bytes } from "../values/order-key.js";
import { protoFromMicros } from "../values/timestamp.js";
import { typedLeafOf } from "../values/typed.js";

/** A value rules read: JSON, or one of CEL's types for typed values. */
export type CelData = JsonValue | bigint | Uint8Array | Timestamp | readonly CelData[] | { readonly [key: string]: CelData };

/** The CEL view of a document's data: the same object when it holds no typed value. */
export function celDataOf(data: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  return celObject(data as JsonObject);
}

function celValue(value: JsonValue): CelData {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return mapArrayOnWrite<CelData>(value, celValue) as readonly CelData[];
  const leaf = typedLeafOf(value);
  if (leaf === null) return celObject(value);
  switch (leaf.type) {
    case "integer":
      return leaf.value;
    case "timestamp":
      return create(TimestampSchema, protoFromMicros(leaf.micros));
    case "bytes":
      return base64Bytes(leaf.base64);
    case "reference":
    case "geoPoint":
      return value;
  }
}

function celObject(obj: JsonObject): Readonly<Record<string, CelData>> {
  return mapObjectOnWrite<CelData>(obj, celValue) as Readonly<Record<string, CelData>>;
}
