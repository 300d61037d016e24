/**
 * Generators and helpers for the geo tests: points biased toward the places
 * where geo code breaks (the poles, the antimeridian, exact ±90 and ±180),
 * and the spherical "destination" formula, written independently of the
 * code under test, to place points at a known distance from a center.
 */
import fc from "fast-check";
import { EARTH_RADIUS_METERS } from "../../../../src/search/geo/distance.js";
import type { LatLng } from "../../../../src/search/geo/point.js";

const latitude = fc.oneof(
  { weight: 4, arbitrary: fc.double({ min: -90, max: 90, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(-90, 90, 0) },
  { weight: 2, arbitrary: fc.double({ min: 89, max: 90, noNaN: true }) },
  { weight: 2, arbitrary: fc.double({ min: -90, max: -89, noNaN: true }) },
);

const longitude = fc.oneof(
  { weight: 4, arbitrary: fc.double({ min: -180, max: 180, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(-180, 180, 0) },
  { weight: 2, arbitrary: fc.double({ min: 179, max: 180, noNaN: true }) },
  { weight: 2, arbitrary: fc.double({ min: -180, max: -179, noNaN: true }) },
);

/** A point anywhere, often at a pole or on or near the antimeridian. */
export const point: fc.Arbitrary<LatLng> = fc.record({ lat: latitude, lng: longitude }).map(({ lat, lng }) => ({ lat: lat + 0, lng: lng + 0 }));

/** A radius in meters: zero, small, continental, and past half the Earth. */
export const radius = fc.oneof(
  fc.constant(0),
  fc.double({ min: 0, max: 5_000, noNaN: true }),
  fc.double({ min: 0, max: 2_000_000, noNaN: true }),
  fc.double({ min: 0, max: 20_037_509, noNaN: true }),
);

/** The point `distanceMeters` from `start` along the initial bearing `bearingDegrees` (great circle). */
export function destination(start: LatLng, bearingDegrees: number, distanceMeters: number): LatLng {
  const rad = Math.PI / 180;
  const delta = distanceMeters / EARTH_RADIUS_METERS;
  const theta = bearingDegrees * rad;
  const phi1 = start.lat * rad;
  const lambda1 = start.lng * rad;
  const sinPhi2 = Math.sin(phi1) * Math.cos(delta) + Math.cos(phi1) * Math.sin(delta) * Math.cos(theta);
  const phi2 = Math.asin(Math.max(-1, Math.min(1, sinPhi2)));
  const lambda2 = lambda1 + Math.atan2(Math.sin(theta) * Math.sin(delta) * Math.cos(phi1), Math.cos(delta) - Math.sin(phi1) * sinPhi2);
  let lng = ((((lambda2 / rad + 180) % 360) + 360) % 360) - 180;
  if (lng === -180 && lambda2 > 0) lng = 180;
  return { lat: Math.max(-90, Math.min(90, phi2 / rad)), lng };
}

/** The seed of this run's property tests: GEO_SEED to replay one, else fresh. Printed so any failure replays. */
export function geoSeed(file: string): number {
  const seed = Number(process.env.GEO_SEED ?? Math.floor(Math.random() * 2 ** 31));
  console.log(`${file}: GEO_SEED=${seed}`);
  return seed;
}
