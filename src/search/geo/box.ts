/**
 * Latitude/longitude boxes: what the R*Tree is asked for. A `LatLngBox`
 * never crosses the antimeridian (minLng <= maxLng); a region that does is
 * covered by two of them. The boxes of a region always contain every point
 * of it; they may contain more, which the exact check then drops.
 *
 * The circle's boxes follow J. P. Matuschek, "Finding Points Within a
 * Distance of a Latitude/Longitude Using Bounding Coordinates" (2011): the
 * latitude bounds are the center's latitude plus and minus the angular
 * radius; when one of them passes a pole the circle holds that pole and
 * covers every longitude; otherwise the longitude half-width is
 * asin(sin r / cos lat), the longitude of the circle's tangent meridians.
 */
import { EARTH_RADIUS_METERS, HALF_CIRCUMFERENCE_METERS } from "./distance.js";
import type { LatLng } from "./point.js";

/** A box in degrees with minLat <= maxLat and minLng <= maxLng (never crossing the antimeridian). */
export interface LatLngBox {
  readonly minLat: number;
  readonly maxLat: number;
  readonly minLng: number;
  readonly maxLng: number;
}

/** The whole Earth as one box. */
export const WHOLE_EARTH: LatLngBox = { minLat: -90, maxLat: 90, minLng: -180, maxLng: 180 };

/**
 * How far the circle's boxes are widened, in degrees (about 1 cm): the
 * bounds come out of sin/asin in floating point and could otherwise round
 * inward past a point that the exact check puts on the circle.
 */
const CIRCLE_BOX_MARGIN_DEGREES = 1e-7;

const DEGREES_PER_RADIAN = 180 / Math.PI;
const RADIANS_PER_DEGREE = Math.PI / 180;

/** One or two boxes that together contain every point within `radiusMeters` of `center`. */
export function circleBoxes(center: LatLng, radiusMeters: number): LatLngBox[] {
  if (!(radiusMeters >= 0)) throw new Error(`invariant broken: a radius is a non-negative number, got ${radiusMeters}`);
  if (radiusMeters >= HALF_CIRCUMFERENCE_METERS) return [WHOLE_EARTH];
  const radiusDegrees = (radiusMeters / EARTH_RADIUS_METERS) * DEGREES_PER_RADIAN;
  const minLat = center.lat - radiusDegrees - CIRCLE_BOX_MARGIN_DEGREES;
  const maxLat = center.lat + radiusDegrees + CIRCLE_BOX_MARGIN_DEGREES;
  if (minLat <= -90 || maxLat >= 90) {
    // The circle holds a pole: every meridian passes through it.
    return [{ minLat: Math.max(-90, minLat), maxLat: Math.min(90, maxLat), minLng: -180, maxLng: 180 }];
  }
  const ratio = Math.sin(radiusMeters / EARTH_RADIUS_METERS) / Math.cos(center.lat * RADIANS_PER_DEGREE);
  if (ratio >= 1) return [{ minLat, maxLat, minLng: -180, maxLng: 180 }];
  const halfWidth = Math.asin(ratio) * DEGREES_PER_RADIAN + CIRCLE_BOX_MARGIN_DEGREES;
  return lngSpanBoxes(minLat, maxLat, center.lng - halfWidth, center.lng + halfWidth);
}

/**
 * The boxes of the latitude band [minLat, maxLat] over the longitudes from
 * `fromLng` eastward to `toLng`, where the two may run past ±180 by less
 * than 360 in all: split at the antimeridian when they do.
 */
export function lngSpanBoxes(minLat: number, maxLat: number, fromLng: number, toLng: number): LatLngBox[] {
  if (!(fromLng <= toLng)) throw new Error(`invariant broken: a longitude span runs eastward, got ${fromLng}..${toLng}`);
  if (toLng - fromLng >= 360) return [{ minLat, maxLat, minLng: -180, maxLng: 180 }];
  if (fromLng < -180) {
    return [
      { minLat, maxLat, minLng: fromLng + 360, maxLng: 180 },
      { minLat, maxLat, minLng: -180, maxLng: Math.min(180, toLng) },
    ];
  }
  if (toLng > 180) {
    return [
      { minLat, maxLat, minLng: Math.max(-180, fromLng), maxLng: 180 },
      { minLat, maxLat, minLng: -180, maxLng: toLng - 360 },
    ];
  }
  return [{ minLat, maxLat, minLng: fromLng, maxLng: toLng }];
}

/**
 * A box given by its south-west and north-east corners (GeoBox): one box,
 * or two when low's longitude is east of high's (crossing the
 * antimeridian). The caller has checked low.lat <= high.lat.
 */
export function cornerBoxes(low: LatLng, high: LatLng): LatLngBox[] {
  if (!(low.lat <= high.lat)) throw new Error("invariant broken: a box's low latitude is at most its high latitude");
  if (low.lng <= high.lng) return [{ minLat: low.lat, maxLat: high.lat, minLng: low.lng, maxLng: high.lng }];
  return [
    { minLat: low.lat, maxLat: high.lat, minLng: low.lng, maxLng: 180 },
    { minLat: low.lat, maxLat: high.lat, minLng: -180, maxLng: high.lng },
  ];
}

/**
 * True when `point` lies in `box`, bounds included. Longitude 180 and -180
 * name one meridian, so a point on it is in a box that touches either; a
 * pole (latitude ±90) is one point whatever longitude it was written with,
 * so it is in every box that reaches its latitude.
 */
export function boxContains(box: LatLngBox, point: LatLng): boolean {
  if (point.lat < box.minLat || point.lat > box.maxLat) return false;
  if (Math.abs(point.lat) === 90) return true;
  if (point.lng >= box.minLng && point.lng <= box.maxLng) return true;
  return Math.abs(point.lng) === 180 && -point.lng >= box.minLng && -point.lng <= box.maxLng;
}

/**
 * How far each box asked of the R*Tree is widened, in degrees. SQLite's
 * R*Tree stores 32-bit floats and rounds a stored box outward, except for
 * coordinates too small for a 32-bit float (|x| < 1.4e-45), which it
 * rounds to 0 (seen: a point at longitude -3.6e-305 stored as [0, 0] and
 * missed by a box ending at -5e-324). Widening by far more than that
 * error, and far less than a millimetre, finds them; the exact check then
 * decides.
 */
const RTREE_QUERY_MARGIN_DEGREES = 1e-9;

/**
 * The boxes to ask the R*Tree for, given the boxes of a region: each
 * widened by RTREE_QUERY_MARGIN_DEGREES, plus, for a box touching one side
 * of the antimeridian, a sliver on the other side, so a point stored with
 * longitude 180 is found by a box that ends at -180 and the reverse.
 */
export function rtreeQueryBoxes(boxes: readonly LatLngBox[]): LatLngBox[] {
  const out: LatLngBox[] = [];
  const widened = (b: LatLngBox): LatLngBox => ({
    minLat: b.minLat - RTREE_QUERY_MARGIN_DEGREES,
    maxLat: b.maxLat + RTREE_QUERY_MARGIN_DEGREES,
    minLng: b.minLng - RTREE_QUERY_MARGIN_DEGREES,
    maxLng: b.maxLng + RTREE_QUERY_MARGIN_DEGREES,
  });
  for (const box of boxes) {
    out.push(widened(box));
    if (box.minLng === -180 && box.maxLng < 180) out.push(widened({ ...box, minLng: 180, maxLng: 180 }));
    if (box.maxLng === 180 && box.minLng > -180) out.push(widened({ ...box, minLng: -180, maxLng: -180 }));
  }
  return out;
}
