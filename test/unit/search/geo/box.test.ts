import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { boxContains, circleBoxes, cornerBoxes, rtreeQueryBoxes, WHOLE_EARTH } from "../../../../src/search/geo/box.js";
import { HALF_CIRCUMFERENCE_METERS, haversineMeters } from "../../../../src/search/geo/distance.js";
import { destination, geoSeed, point, radius } from "./geo-arbitraries.js";

const seed = geoSeed("box.test.ts");

describe("circleBoxes", () => {
  it("contains every point of the circle (random centers, radii, bearings; poles and antimeridian favoured)", () => {
    fc.assert(
      fc.property(point, radius, fc.double({ min: 0, max: 360, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (center, r, bearing, fraction) => {
        const boxes = circleBoxes(center, r);
        for (const b of boxes) {
          expect(b.minLat).toBeLessThanOrEqual(b.maxLat);
          expect(b.minLng).toBeLessThanOrEqual(b.maxLng);
          expect(b.minLng).toBeGreaterThanOrEqual(-180);
          expect(b.maxLng).toBeLessThanOrEqual(180);
        }
        for (const p of [destination(center, bearing, r * fraction), destination(center, bearing, r)]) {
          if (haversineMeters(center, p) > r) continue; // rounding put it outside: not in the circle
          expect(boxes.some((b) => boxContains(b, p)), `${JSON.stringify(p)} in ${JSON.stringify(boxes)}`).toBe(true);
        }
      }),
      { seed, numRuns: 5000 },
    );
  });

  it("contains the whole rim: every quarter degree of bearing at exactly the radius", () => {
    fc.assert(
      fc.property(point, radius, (center, r) => {
        const boxes = circleBoxes(center, r);
        for (let bearing = 0; bearing < 360; bearing += 0.25) {
          const p = destination(center, bearing, r);
          if (haversineMeters(center, p) > r) continue;
          if (!boxes.some((b) => boxContains(b, p))) expect.fail(`${JSON.stringify(p)} (bearing ${bearing}) not in ${JSON.stringify(boxes)}`);
        }
      }),
      { seed, numRuns: 300 },
    );
  });

  it("splits a circle across the antimeridian into two boxes, one each side", () => {
    const boxes = circleBoxes({ lat: 0, lng: 179.9 }, 50_000);
    expect(boxes).toHaveLength(2);
    expect(boxes.some((b) => b.maxLng === 180 && b.minLng > 179)).toBe(true);
    expect(boxes.some((b) => b.minLng === -180 && b.maxLng > -179.9 && b.maxLng < -179)).toBe(true);
  });

  it("covers every longitude for a circle holding a pole, and only the cap's latitudes", () => {
    const [north, ...rest] = circleBoxes({ lat: 89.5, lng: 10 }, 100_000);
    expect(rest).toEqual([]);
    expect(north).toMatchObject({ maxLat: 90, minLng: -180, maxLng: 180 });
    expect(north!.minLat).toBeGreaterThan(88);
    expect(circleBoxes({ lat: -90, lng: 0 }, 0)[0]).toMatchObject({ minLat: -90, minLng: -180, maxLng: 180 });
    // Radius 0 at a pole still covers every longitude: the pole is one point whatever its longitude.
    expect(circleBoxes({ lat: 90, lng: 123 }, 0)).toEqual([{ minLat: 90 - 1e-7, maxLat: 90, minLng: -180, maxLng: 180 }]);
  });

  it("stays narrow away from the poles and the antimeridian", () => {
    const boxes = circleBoxes({ lat: 48.85, lng: 2.35 }, 10_000);
    expect(boxes).toHaveLength(1);
    expect(boxes[0]!.maxLng - boxes[0]!.minLng).toBeLessThan(0.3);
    expect(boxes[0]!.maxLat - boxes[0]!.minLat).toBeLessThan(0.2);
  });

  it("is the whole Earth from half the circumference up", () => {
    expect(circleBoxes({ lat: 10, lng: 10 }, HALF_CIRCUMFERENCE_METERS)).toEqual([WHOLE_EARTH]);
    expect(circleBoxes({ lat: 10, lng: 10 }, 20_037_509)).toEqual([WHOLE_EARTH]);
  });
});

describe("cornerBoxes and boxContains", () => {
  it("splits a box whose low longitude is east of its high one at the antimeridian", () => {
    const boxes = cornerBoxes({ lat: -10, lng: 170 }, { lat: 10, lng: -170 });
    expect(boxes).toHaveLength(2);
    const inside = (lat: number, lng: number) => boxes.some((b) => boxContains(b, { lat, lng }));
    expect(inside(0, 175)).toBe(true);
    expect(inside(0, -175)).toBe(true);
    expect(inside(0, 180)).toBe(true);
    expect(inside(0, -180)).toBe(true);
    expect(inside(0, 0)).toBe(false);
    expect(inside(0, 169.99)).toBe(false);
    expect(inside(10.01, 175)).toBe(false);
  });

  it("includes its bounds and treats longitudes 180 and -180 as one meridian", () => {
    const [box] = cornerBoxes({ lat: 0, lng: -180 }, { lat: 5, lng: -170 });
    expect(boxContains(box!, { lat: 0, lng: -170 })).toBe(true);
    expect(boxContains(box!, { lat: 5, lng: 180 })).toBe(true);
    expect(boxContains(box!, { lat: 5, lng: 179.999 })).toBe(false);
  });

  it("asks the R*Tree for the other side of the antimeridian when a box touches it", () => {
    const boxes = rtreeQueryBoxes(cornerBoxes({ lat: 0, lng: -180 }, { lat: 5, lng: -170 }));
    expect(boxes).toHaveLength(2);
    expect(boxes.some((b) => b.minLng < 180 && b.maxLng > 180 && b.minLat < 0 && b.maxLat > 5)).toBe(true);
    expect(rtreeQueryBoxes([WHOLE_EARTH])).toHaveLength(1);
  });
});
