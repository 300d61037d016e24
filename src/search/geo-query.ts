/**
 * The geo conditions of a query's search clause (search.proto's GeoNear and
 * GeoWithin) as a checked region (geo/region.ts). The proto's rules have
 * checked ranges already when the request came through the validation
 * interceptor; they are checked again here, so a caller that skips it
 * (a test, a future transport) still gets INVALID_ARGUMENT, never INTERNAL.
 *
 * A search clause names at most one geo condition: near, or within. Both
 * at once are refused (INVALID_ARGUMENT): say the region as a polygon, or
 * filter one side in the client.
 */
import type { GeoPoint, SearchQuery } from "../../gen/impossibledb/v1/search_pb.js";
import { FailureError } from "../errors.js";
import type { LatLng } from "./geo/point.js";
import { compileGeoCondition, type GeoCondition, type GeoRegion } from "./geo/region.js";

/** The search clause's geo condition, or null when it has none. */
export function geoConditionFrom(search: SearchQuery | undefined): GeoCondition | null {
  if (search === undefined) return null;
  const near = search.near;
  const within = search.within;
  if (near !== undefined && within !== undefined) {
    throw new FailureError("invalid_argument", "search: give near or within, not both");
  }
  if (near !== undefined) return { kind: "near", center: pointFrom(near.center, "search.near.center"), radiusMeters: near.radiusMeters };
  if (within === undefined) return null;
  switch (within.region.case) {
    case "box": {
      const box = within.region.value;
      return { kind: "box", low: pointFrom(box.low, "search.within.box.low"), high: pointFrom(box.high, "search.within.box.high") };
    }
    case "polygon":
      return { kind: "polygon", vertices: within.region.value.vertices.map((v, i) => pointFrom(v, `search.within.polygon.vertices[${i}]`)) };
    default:
      throw new FailureError("invalid_argument", "search.within: a box or a polygon is required");
  }
}

/** The search clause's geo condition checked and compiled, or null when it has none; INVALID_ARGUMENT for a bad one. */
export function geoRegionFrom(search: SearchQuery | undefined): { condition: GeoCondition; region: GeoRegion } | null {
  const condition = geoConditionFrom(search);
  if (condition === null) return null;
  const compiled = compileGeoCondition(condition);
  if (!compiled.ok) throw new FailureError(compiled.kind, `search: ${compiled.message}`);
  return { condition, region: compiled.region };
}

function pointFrom(point: GeoPoint | undefined, what: string): LatLng {
  if (point === undefined) throw new FailureError("invalid_argument", `${what} is required`);
  return { lat: point.latitude, lng: point.longitude };
}
