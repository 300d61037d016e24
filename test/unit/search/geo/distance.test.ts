import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EARTH_RADIUS_METERS, HALF_CIRCUMFERENCE_METERS, haversineMeters } from "../../../../src/search/geo/distance.js";
import { geoSeed, point } from "./geo-arbitraries.js";

const seed = geoSeed("distance.test.ts");

describe("haversineMeters", () => {
  it("is 0 between equal points, and between longitudes 180 and -180 of one latitude", () => {
    expect(haversineMeters({ lat: 12.5, lng: 33 }, { lat: 12.5, lng: 33 })).toBe(0);
    expect(haversineMeters({ lat: -40, lng: 180 }, { lat: -40, lng: -180 })).toBe(0);
  });

  it("is 0 between a pole written with different longitudes, and from a pole depends on latitude alone", () => {
    expect(haversineMeters({ lat: 90, lng: 0 }, { lat: 90, lng: 123 })).toBe(0);
    expect(haversineMeters({ lat: -90, lng: -180 }, { lat: -90, lng: 45.5 })).toBe(0);
    expect(haversineMeters({ lat: 90, lng: 0 }, { lat: 0, lng: 77 })).toBe(haversineMeters({ lat: 90, lng: 0 }, { lat: 0, lng: 0 }));
    expect(haversineMeters({ lat: 0, lng: -10 }, { lat: -90, lng: 170 })).toBe(haversineMeters({ lat: 0, lng: 0 }, { lat: -90, lng: 0 }));
  });

  it("measures on the sphere of the mean radius: a quarter meridian, antipodes, a degree of the equator", () => {
    expect(haversineMeters({ lat: 0, lng: 10 }, { lat: 90, lng: 10 })).toBeCloseTo((Math.PI / 2) * EARTH_RADIUS_METERS, 3);
    expect(haversineMeters({ lat: 0, lng: 0 }, { lat: 0, lng: 180 })).toBeCloseTo(HALF_CIRCUMFERENCE_METERS, 3);
    expect(haversineMeters({ lat: 30, lng: -60 }, { lat: -30, lng: 120 })).toBeCloseTo(HALF_CIRCUMFERENCE_METERS, 3);
    expect(haversineMeters({ lat: 0, lng: 179.5 }, { lat: 0, lng: -179.5 })).toBeCloseTo((Math.PI / 180) * EARTH_RADIUS_METERS, 6);
  });

  it("resolves centimetres (the haversine form keeps small distances)", () => {
    const d = haversineMeters({ lat: 51.5, lng: -0.12 }, { lat: 51.5 + 1e-7, lng: -0.12 });
    expect(d).toBeCloseTo((1e-7 * Math.PI * EARTH_RADIUS_METERS) / 180, 6);
  });

  it("is symmetric, bounded by half the circumference, and obeys the triangle inequality (to 1 m: asin loses digits near antipodes)", () => {
    fc.assert(
      fc.property(point, point, point, (a, b, c) => {
        const ab = haversineMeters(a, b);
        expect(ab).toBe(haversineMeters(b, a));
        expect(ab).toBeGreaterThanOrEqual(0);
        expect(ab).toBeLessThanOrEqual(HALF_CIRCUMFERENCE_METERS);
        expect(ab).toBeLessThanOrEqual(haversineMeters(a, c) + haversineMeters(c, b) + 1);
      }),
      { seed, numRuns: 2000 },
    );
  });
});
