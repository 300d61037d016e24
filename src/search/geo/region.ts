/**
 * A query's geo condition, checked and compiled: the R*Tree boxes that
 * cover it, and the exact test (and distance) each candidate must pass.
 *
 * `GeoCondition` is what a request says (plain data, as it crosses Workers
 * RPC to shards); `compileGeoCondition` checks it (INVALID_ARGUMENT for
 * what the proto's rules cannot say, such as a box whose low latitude is
 * above its high one, or a polygon that is not simple) and returns a
 * `GeoRegion`. Semantics:
 * - near: great-circle (haversine, distance.ts) distance at most
 *   radius_meters, bounds included; radius 0 matches only the center
 *   itself; a radius of half the circumference or more, the whole Earth.
 * - within a box: latitude and longitude within the corners, bounds
 *   included; low.lng > high.lng crosses the antimeridian.
 * - within a polygon: polygon.ts.
 */
import { failure, type Failure } from "../../errors.js";
import { GEO_NEAR_RADIUS_METERS_MAX } from "../../limits.js";
import { boxContains, circleBoxes, cornerBoxes, type LatLngBox } from "./box.js";
import { haversineMeters } from "./distance.js";
import { isLatLng, type LatLng } from "./point.js";
import { polygonBoxes, polygonContains, preparePolygon, type PreparedPolygon } from "./polygon.js";

/** A geo condition as a request states it. */
export type GeoCondition =
  | { readonly kind: "near"; readonly center: LatLng; readonly radiusMeters: number }
  | { readonly kind: "box"; readonly low: LatLng; readonly high: LatLng }
  | { readonly kind: "polygon"; readonly vertices: readonly LatLng[] };

/** A checked geo condition with the boxes that cover it. */
export type GeoRegion =
  | { readonly kind: "near"; readonly center: LatLng; readonly radiusMeters: number; readonly boxes: readonly LatLngBox[] }
  | { readonly kind: "box"; readonly boxes: readonly LatLngBox[] }
  | { readonly kind: "polygon"; readonly polygon: PreparedPolygon; readonly boxes: readonly LatLngBox[] };

/** The outcome of compiling a condition. */
export type GeoRegionCheck = { readonly ok: true; readonly region: GeoRegion } | Failure;

/** Checks and compiles a geo condition. */
export function compileGeoCondition(condition: GeoCondition): GeoRegionCheck {
  switch (condition.kind) {
    case "near": {
      const problem = pointProblem(condition.center, "near center");
      if (problem !== null) return problem;
      const r = condition.radiusMeters;
      if (!Number.isFinite(r) || r < 0 || r > GEO_NEAR_RADIUS_METERS_MAX) {
        return failure("invalid_argument", `near radius_meters must be from 0 to GEO_NEAR_RADIUS_METERS_MAX (${GEO_NEAR_RADIUS_METERS_MAX}), got ${r}`);
      }
      return { ok: true, region: { kind: "near", center: condition.center, radiusMeters: r, boxes: circleBoxes(condition.center, r) } };
    }
    case "box": {
      const problem = pointProblem(condition.low, "box low") ?? pointProblem(condition.high, "box high");
      if (problem !== null) return problem;
      if (condition.low.lat > condition.high.lat) {
        return failure("invalid_argument", `box low latitude ${condition.low.lat} is north of high latitude ${condition.high.lat}`);
      }
      return { ok: true, region: { kind: "box", boxes: cornerBoxes(condition.low, condition.high) } };
    }
    case "polygon": {
      for (const [i, v] of condition.vertices.entries()) {
        const problem = pointProblem(v, `polygon vertex ${i}`);
        if (problem !== null) return problem;
      }
      const checked = preparePolygon(condition.vertices);
      if (!checked.ok) return checked;
      return { ok: true, region: { kind: "polygon", polygon: checked.polygon, boxes: polygonBoxes(checked.polygon) } };
    }
  }
}

/**
 * The exact test of a candidate: its distance from the near center in
 * meters when it matches (0 for within), or null when it does not.
 */
export function regionDistance(region: GeoRegion, point: LatLng): number | null {
  switch (region.kind) {
    case "near": {
      const d = haversineMeters(region.center, point);
      return d <= region.radiusMeters ? d : null;
    }
    case "box":
      return region.boxes.some((b) => boxContains(b, point)) ? 0 : null;
    case "polygon":
      return polygonContains(region.polygon, point) ? 0 : null;
  }
}

function pointProblem(p: LatLng, what: string): Failure | null {
  return isLatLng(p.lat, p.lng) ? null : failure("invalid_argument", `${what} must have latitude in [-90, 90] and longitude in [-180, 180], got (${p.lat}, ${p.lng})`);
}
