/**
 * Great-circle distance on a sphere, by the haversine formula.
 *
 * The sphere has the Earth's mean radius, R1 = 6,371,008.8 m (IUGG; the
 * radius of the sphere with the same mean of the WGS 84 ellipsoid's three
 * semi-axes). Against the ellipsoid, distances are off by at most about
 * 0.5% (Moritz, "Geodetic Reference System 1980"); every part of the
 * database (the shards, the oracle in the tests, the benchmark's baselines)
 * uses this one function, so results agree with each other exactly.
 */
import type { LatLng } from "./point.js";

/** The Earth's mean radius in meters (IUGG R1). */
export const EARTH_RADIUS_METERS = 6_371_008.8;

/** Half the sphere's circumference: no two points are farther apart, in meters. */
export const HALF_CIRCUMFERENCE_METERS = Math.PI * EARTH_RADIUS_METERS;

const RADIANS_PER_DEGREE = Math.PI / 180;

/**
 * The great-circle distance between two points, in meters, in
 * [0, HALF_CIRCUMFERENCE_METERS]. Equal points are exactly 0 apart, and
 * so is the same place written two ways: longitude 180 and -180, or a pole
 * (latitude ±90) with any longitude. The haversine form is
 * well conditioned for small distances, where the spherical law of cosines
 * loses everything to rounding.
 */
export function haversineMeters(a: LatLng, b: LatLng): number {
  const lat1 = a.lat * RADIANS_PER_DEGREE;
  const lat2 = b.lat * RADIANS_PER_DEGREE;
  // The longitude difference taken the short way, so -180 and 180 agree.
  let deltaLngDegrees = b.lng - a.lng;
  if (deltaLngDegrees > 180) deltaLngDegrees -= 360;
  else if (deltaLngDegrees < -180) deltaLngDegrees += 360;
  // At a pole every longitude is the same point, and the distance from a
  // pole depends on latitude alone; cos(90°) is 6e-17 in floating point, not
  // 0, so the longitude term is dropped rather than left to round (it would
  // put (90, 0) and (90, 123) 6.9e-10 m apart, outside a radius of 0).
  if (Math.abs(a.lat) === 90 || Math.abs(b.lat) === 90) deltaLngDegrees = 0;
  const sinHalfLat = Math.sin((lat2 - lat1) / 2);
  const sinHalfLng = Math.sin((deltaLngDegrees * RADIANS_PER_DEGREE) / 2);
  const h = sinHalfLat * sinHalfLat + Math.cos(lat1) * Math.cos(lat2) * sinHalfLng * sinHalfLng;
  // Rounding can push h a hair past 1 for antipodal points.
  return 2 * EARTH_RADIUS_METERS * Math.asin(Math.min(1, Math.sqrt(h)));
}
