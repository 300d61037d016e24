import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GEO_POLYGON_VERTICES_MAX } from "../../../../src/limits.js";
import type { LatLng } from "../../../../src/search/geo/point.js";
import { polygonBoxes, polygonContains, preparePolygon, type PreparedPolygon } from "../../../../src/search/geo/polygon.js";
import { geoSeed } from "./geo-arbitraries.js";

const seed = geoSeed("polygon.test.ts");

const pts = (...pairs: Array<[number, number]>): LatLng[] => pairs.map(([lat, lng]) => ({ lat, lng }));

function prepared(vertices: LatLng[]): PreparedPolygon {
  const checked = preparePolygon(vertices);
  if (!checked.ok) throw new Error(checked.message);
  return checked.polygon;
}

function refusal(vertices: LatLng[]): string {
  const checked = preparePolygon(vertices);
  if (checked.ok) throw new Error("expected the polygon to be refused");
  expect(checked.kind).toBe("invalid_argument");
  return checked.message;
}

describe("polygonContains", () => {
  const square = prepared(pts([0, 0], [0, 10], [10, 10], [10, 0]));

  it("holds its interior and its boundary (edges and vertices), not its outside", () => {
    expect(polygonContains(square, { lat: 5, lng: 5 })).toBe(true);
    expect(polygonContains(square, { lat: 0, lng: 5 })).toBe(true);
    expect(polygonContains(square, { lat: 10, lng: 10 })).toBe(true);
    expect(polygonContains(square, { lat: 5, lng: 10 })).toBe(true);
    expect(polygonContains(square, { lat: 5, lng: 10.0001 })).toBe(false);
    expect(polygonContains(square, { lat: -0.0001, lng: 5 })).toBe(false);
    expect(polygonContains(square, { lat: 5, lng: -170 })).toBe(false);
  });

  it("leaves out the notch of a concave polygon", () => {
    const l = prepared(pts([0, 0], [0, 10], [5, 10], [5, 5], [10, 5], [10, 0]));
    expect(polygonContains(l, { lat: 2, lng: 8 })).toBe(true);
    expect(polygonContains(l, { lat: 8, lng: 2 })).toBe(true);
    expect(polygonContains(l, { lat: 8, lng: 8 })).toBe(false);
  });

  it("takes each edge the short way round: a polygon across the antimeridian", () => {
    const p = prepared(pts([-10, 170], [-10, -170], [10, -170], [10, 170]));
    for (const lng of [175, 180, -180, -175, 170, -170]) expect(polygonContains(p, { lat: 0, lng }), `lng ${lng}`).toBe(true);
    for (const lng of [0, 160, -160, 90]) expect(polygonContains(p, { lat: 0, lng }), `lng ${lng}`).toBe(false);
    const boxes = polygonBoxes(p);
    expect(boxes).toHaveLength(2);
    expect(boxes).toContainEqual({ minLat: -10, maxLat: 10, minLng: 170, maxLng: 180 });
    expect(boxes).toContainEqual({ minLat: -10, maxLat: 10, minLng: -180, maxLng: -170 });
  });

  it("accepts GeoJSON's closing vertex and repeated vertices", () => {
    const p = prepared(pts([0, 0], [0, 0], [0, 10], [10, 10], [10, 0], [0, 0]));
    expect(p.xs).toHaveLength(4);
    expect(polygonContains(p, { lat: 5, lng: 5 })).toBe(true);
  });

  it("agrees with the convex-hull test for random convex polygons", () => {
    // A convex polygon: sorted angles around a center. Inside a convex
    // counter-clockwise polygon means left of (or on) every edge.
    const polygonAndPoint = fc.record({
      lat: fc.double({ min: -60, max: 60, noNaN: true }),
      lng: fc.double({ min: -180, max: 180, noNaN: true }),
      size: fc.double({ min: 0.001, max: 20, noNaN: true }),
      angles: fc.uniqueArray(fc.integer({ min: 0, max: 359 }), { minLength: 3, maxLength: 40 }),
      probe: fc.record({ dy: fc.double({ min: -1.2, max: 1.2, noNaN: true }), dx: fc.double({ min: -1.2, max: 1.2, noNaN: true }) }),
    });
    fc.assert(
      fc.property(polygonAndPoint, ({ lat, lng, size, angles, probe }) => {
        const sorted = [...angles].sort((a, b) => a - b);
        const ys = sorted.map((a) => lat + size * Math.sin((a * Math.PI) / 180));
        const xs = sorted.map((a) => lng + size * Math.cos((a * Math.PI) / 180));
        const wrap = (x: number) => (x > 180 ? x - 360 : x < -180 ? x + 360 : x);
        const checked = preparePolygon(xs.map((x, i) => ({ lat: ys[i]!, lng: wrap(x) })));
        if (!checked.ok) return; // three nearly collinear angles can round to zero area
        const py = lat + size * probe.dy;
        const px = lng + size * probe.dx;
        let inside = true;
        for (let i = 0; i < xs.length; i++) {
          const j = (i + 1) % xs.length;
          const c = (xs[j]! - xs[i]!) * (py - ys[i]!) - (ys[j]! - ys[i]!) * (px - xs[i]!);
          if (c < -1e-9 * size * size) inside = false;
          if (Math.abs(c) <= 1e-9 * size * size) return; // on the boundary within rounding: either answer is right
        }
        if (py < -90 || py > 90) return;
        expect(polygonContains(checked.polygon, { lat: py, lng: wrap(px) })).toBe(inside);
      }),
      { seed, numRuns: 3000 },
    );
  });
});

describe("preparePolygon refuses self-evidently bad polygons with INVALID_ARGUMENT", () => {
  it("all vertices equal, or only two distinct", () => {
    expect(refusal(pts([1, 1], [1, 1], [1, 1]))).toMatch(/1 distinct vertices; it needs at least 3/);
    expect(refusal(pts([1, 1], [2, 2], [1, 1], [2, 2]))).toMatch(/distinct vertices/);
  });

  it("zero area: every vertex on one line", () => {
    expect(refusal(pts([0, 0], [1, 1], [2, 2]))).toMatch(/zero area/);
  });

  it("a bow tie and a spike (not simple)", () => {
    expect(refusal(pts([0, 0], [10, 10], [0, 10], [10, 0]))).toMatch(/not simple: edge 0 and edge 2/);
    expect(refusal(pts([0, 0], [0, 10], [10, 10], [10, 0], [10, 20]))).toMatch(/not simple/);
  });

  it("an edge exactly 180 degrees wide, a polygon round a pole", () => {
    expect(refusal(pts([0, -90], [0, 90], [10, 0]))).toMatch(/spans exactly 180 degrees/);
    expect(refusal(pts([80, 0], [80, 120], [80, -120]))).toMatch(/goes round a pole/);
  });

  it("more than GEO_POLYGON_VERTICES_MAX vertices", () => {
    const many = Array.from({ length: GEO_POLYGON_VERTICES_MAX + 1 }, (_, i) => ({ lat: Math.sin(i), lng: Math.cos(i) }));
    expect(refusal(many)).toMatch(/over GEO_POLYGON_VERTICES_MAX/);
  });
});
