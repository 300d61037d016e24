/**
 * Points on the Earth as the geo index keeps them, and how a stored
 * document's geo field becomes one.
 *
 * A document is in the geo index when the index's field holds a map with
 * `lat` and `lng`, both finite numbers (doubles or typed integers), latitude in [-90, 90] and
 * longitude in [-180, 180] (degrees, WGS 84). Other keys in the map are
 * allowed and ignored (a label, an altitude). Anything else (a missing
 * field, a string, an array, a number out of range) is simply not indexed:
 * the write succeeds and the document never matches a geo condition. A
 * typed geo point (values/typed.ts) is indexed too.
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { fieldValue } from "../../query/evaluate.js";
import { isObject } from "../../validation/document-data.js";
import { typedLeafOf } from "../../values/typed.js";
import type { FieldPath } from "../../validation/field-path.js";

/** A point in degrees: latitude in [-90, 90], longitude in [-180, 180]. */
export interface LatLng {
  readonly lat: number;
  readonly lng: number;
}

/** True when `lat`/`lng` are finite and in range. */
export function isLatLng(lat: unknown, lng: unknown): boolean {
  return (
    typeof lat === "number" && typeof lng === "number" && Number.isFinite(lat) && Number.isFinite(lng) && lat >= -90 && lat <= 90 && lng >= -180 && lng <= 180
  );
}

/** The point a document's geo field holds, or null when the document is not in the geo index. */
export function geoPointOf(data: JsonObject, path: FieldPath): LatLng | null {
  const value = fieldValue({ id: "", data }, path);
  if (!isObject(value)) return null;
  const typed = typedLeafOf(value);
  if (typed !== null) return typed.type === "geoPoint" ? { lat: typed.latitude + 0, lng: typed.longitude + 0 } : null;
  const lat = coordinate(Object.hasOwn(value, "lat") ? value["lat"] : undefined);
  const lng = coordinate(Object.hasOwn(value, "lng") ? value["lng"] : undefined);
  if (!isLatLng(lat, lng)) return null;
  // -0 and 0 are one coordinate; keeping -0 would only make ids of equal
  // points print differently.
  return { lat: (lat as number) + 0, lng: (lng as number) + 0 };
}

/** A coordinate as a number: a double, or a typed integer (which is a number too, values/typed.ts). */
function coordinate(value: JsonValue | undefined): unknown {
  const leaf = typedLeafOf(value);
  return leaf?.type === "integer" ? Number(leaf.value) : value;
}
