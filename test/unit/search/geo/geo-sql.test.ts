/**
 * The shard's geo index (R*Tree plus exact check) against a brute-force
 * oracle over every point, in node:sqlite with the shards' real schema:
 * random points (poles and the antimeridian favoured) and random near, box
 * and polygon conditions must give exactly the oracle's hits in exactly its
 * order, whole and page by page. GEO_SEED replays a run.
 */
import { DatabaseSync } from "node:sqlite";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { DOCUMENT_MIGRATIONS, migrate } from "../../../../src/storage/schema.js";
import { SNAPSHOT_MIGRATIONS } from "../../../../src/sync/snapshot-schema.js";
import { haversineMeters } from "../../../../src/search/geo/distance.js";
import {
  createGeoTables,
  dropGeoTables,
  geoCandidates,
  geoTablesExist,
  indexGeoDocument,
  putGeoPoint,
  type GeoHit,
  type GeoSql,
} from "../../../../src/search/geo/geo-sql.js";
import type { LatLng } from "../../../../src/search/geo/point.js";
import { polygonContains } from "../../../../src/search/geo/polygon.js";
import { compileGeoCondition, type GeoCondition, type GeoRegion } from "../../../../src/search/geo/region.js";
import { nodeSql } from "../../query/memory-shards.js";
import { destination, geoSeed, point, radius } from "./geo-arbitraries.js";

const seed = geoSeed("geo-sql.test.ts");
const C = "places";
const opened: DatabaseSync[] = [];
afterEach(() => {
  while (opened.length > 0) opened.pop()!.close();
});

function shard(): GeoSql {
  const db = new DatabaseSync(":memory:");
  opened.push(db);
  const sql = nodeSql(db) as unknown as GeoSql;
  migrate(sql as never, "documents", DOCUMENT_MIGRATIONS);
  migrate(sql as never, "snapshots", SNAPSHOT_MIGRATIONS);
  createGeoTables(sql, C);
  return sql;
}

function region(condition: GeoCondition): GeoRegion {
  const compiled = compileGeoCondition(condition);
  if (!compiled.ok) throw new Error(compiled.message);
  return compiled.region;
}

function hits(sql: GeoSql, r: GeoRegion, options = {}): GeoHit[] {
  const out = geoCandidates(sql, C, r, options);
  if (!out.ok) throw new Error(out.message);
  return out.hits;
}

/** The oracle: every point tested directly, no boxes, no R*Tree. */
function oracle(points: ReadonlyMap<string, LatLng>, condition: GeoCondition, r: GeoRegion): GeoHit[] {
  const out: GeoHit[] = [];
  for (const [id, p] of points) {
    if (condition.kind === "near") {
      const d = haversineMeters(condition.center, p);
      if (d <= condition.radiusMeters) out.push({ id, distanceMeters: d });
    } else if (condition.kind === "box") {
      const { low, high } = condition;
      const lngIn = (lng: number) => (low.lng <= high.lng ? lng >= low.lng && lng <= high.lng : lng >= low.lng || lng <= high.lng);
      // A pole is one point whatever its longitude: in every box reaching it.
      const anyLng = Math.abs(p.lat) === 90;
      if (p.lat >= low.lat && p.lat <= high.lat && (anyLng || lngIn(p.lng) || (Math.abs(p.lng) === 180 && lngIn(-p.lng)))) out.push({ id, distanceMeters: 0 });
    } else if (r.kind === "polygon" && polygonContains(r.polygon, p)) {
      out.push({ id, distanceMeters: 0 });
    }
  }
  // Ids here are ASCII, where code point order is JavaScript's.
  return out.sort((a, b) => a.distanceMeters - b.distanceMeters || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Conditions built around the stored points, so boundaries land on points. */
function conditionFor(points: readonly LatLng[]): fc.Arbitrary<GeoCondition> {
  const anchor = fc.nat(points.length - 1).map((i) => points[i]!);
  const near = fc.oneof(
    fc.record({ center: point, radiusMeters: radius }),
    // The radius is exactly some stored point's distance: it must be in.
    fc.tuple(point, anchor).map(([center, p]) => ({ center, radiusMeters: haversineMeters(center, p) })),
    anchor.map((center) => ({ center, radiusMeters: 0 })),
  );
  const box = fc.tuple(point, point, anchor).map(([a, b, p]) => {
    const [lo, hi] = a.lat <= b.lat ? [a, b] : [b, a];
    // Sometimes put a stored point on a corner.
    return p.lat >= lo.lat && p.lat <= hi.lat ? { low: { lat: lo.lat, lng: p.lng }, high: hi } : { low: lo, high: hi };
  });
  const polygon = fc.record({
    center: point,
    size: fc.double({ min: 1e-4, max: 60, noNaN: true }),
    angles: fc.uniqueArray(fc.integer({ min: 0, max: 359 }), { minLength: 3, maxLength: 12 }),
  }).map(({ center, size, angles }) => {
    const vertices = [...angles].sort((a, b) => a - b).map((a) => destination(center, a, size * 100_000));
    return vertices;
  });
  return fc.oneof(
    near.map((n) => ({ kind: "near" as const, ...n })),
    box.map((b) => ({ kind: "box" as const, ...b })),
    polygon.map((vertices) => ({ kind: "polygon" as const, vertices })),
  );
}

describe("geoCandidates against the brute-force oracle", () => {
  it("random points and conditions: the same hits in the same (distance, id) order, whole and in pages", { timeout: 120_000 }, () => {
    const sql = shard();
    const points = new Map<string, LatLng>();
    const stored = fc.sample(point, { seed, numRuns: 2000 });
    stored.forEach((p, i) => {
      const id = `p${String(i).padStart(5, "0")}`;
      points.set(id, p);
      putGeoPoint(sql, C, id, p);
    });
    // Some points share coordinates, as real data does.
    for (let i = 0; i < 50; i++) {
      const id = `dup${i}`;
      points.set(id, stored[i]!);
      putGeoPoint(sql, C, id, stored[i]!);
    }
    let nonEmpty = 0;
    fc.assert(
      fc.property(conditionFor(stored), fc.integer({ min: 1, max: 40 }), (condition, smallPage) => {
        const compiled = compileGeoCondition(condition);
        if (!compiled.ok) return; // a random polygon may be refused (rounded to zero area, round a pole)
        const expected = oracle(points, condition, compiled.region);
        if (expected.length > 0) nonEmpty++;
        expect(hits(sql, compiled.region)).toEqual(expected);
        // At most about 20 pages, so a whole-Earth condition stays quick.
        const pageSize = Math.max(smallPage, Math.ceil(expected.length / 20));
        const walked: GeoHit[] = [];
        let after: GeoHit | null = null;
        for (let page = 0; page <= expected.length; page++) {
          const next = hits(sql, compiled.region, { after, limit: pageSize });
          walked.push(...next);
          if (next.length < pageSize) break;
          after = next[next.length - 1]!;
        }
        expect(walked).toEqual(expected);
      }),
      { seed, numRuns: 150 },
    );
    // The conditions are built to hit stored points; a run where nearly
    // none did would test nothing.
    expect(nonEmpty).toBeGreaterThan(50);
  });
});

describe("geo index edges", () => {
  it("radius 0 finds only points at the center itself (and longitude -180 is 180)", () => {
    const sql = shard();
    putGeoPoint(sql, C, "here", { lat: 10, lng: 180 });
    putGeoPoint(sql, C, "also-here", { lat: 10, lng: -180 });
    putGeoPoint(sql, C, "a-metre-off", { lat: 10.00001, lng: 180 });
    expect(hits(sql, region({ kind: "near", center: { lat: 10, lng: 180 }, radiusMeters: 0 })).map((h) => h.id)).toEqual(["also-here", "here"]);
    expect(hits(sql, region({ kind: "near", center: { lat: 10, lng: -180 }, radiusMeters: 0 })).map((h) => h.id)).toEqual(["also-here", "here"]);
  });

  it("radius 0 at a pole finds the pole written with any longitude, and at (0, 180) finds (0, -180)", () => {
    const sql = shard();
    putGeoPoint(sql, C, "north0", { lat: 90, lng: 0 });
    putGeoPoint(sql, C, "north123", { lat: 90, lng: 123 });
    putGeoPoint(sql, C, "north-180", { lat: 90, lng: -180 });
    putGeoPoint(sql, C, "near-north", { lat: 89.99999, lng: 0 });
    putGeoPoint(sql, C, "south", { lat: -90, lng: 0 });
    putGeoPoint(sql, C, "east", { lat: 0, lng: 180 });
    putGeoPoint(sql, C, "west", { lat: 0, lng: -180 });
    for (const lng of [0, 123, -180, 180]) {
      const found = hits(sql, region({ kind: "near", center: { lat: 90, lng }, radiusMeters: 0 }));
      expect(found, `center (90, ${lng})`).toEqual(["north-180", "north0", "north123"].map((id) => ({ id, distanceMeters: 0 })));
    }
    expect(hits(sql, region({ kind: "near", center: { lat: -90, lng: 77 }, radiusMeters: 0 }))).toEqual([{ id: "south", distanceMeters: 0 }]);
    expect(hits(sql, region({ kind: "near", center: { lat: 0, lng: 180 }, radiusMeters: 0 })).map((h) => h.id)).toEqual(["east", "west"]);
  });

  it("a box reaching a pole finds the pole however its longitude was written (new-user report: only (90, 5.5) was in a box from 5 to 6)", () => {
    const sql = shard();
    for (const [id, lng] of [["n0", 0], ["n123", 123.4], ["n-180", -180], ["n5", 5.5]] as const) putGeoPoint(sql, C, id, { lat: 90, lng });
    putGeoPoint(sql, C, "s0", { lat: -90, lng: 0 });
    putGeoPoint(sql, C, "s179", { lat: -90, lng: 179.9 });
    putGeoPoint(sql, C, "off", { lat: 89.995, lng: 100 });
    const ids = (r: GeoRegion) => hits(sql, r).map((h) => h.id).sort();
    expect(ids(region({ kind: "box", low: { lat: 89.99, lng: 5 }, high: { lat: 90, lng: 6 } }))).toEqual(["n-180", "n0", "n123", "n5"]);
    expect(ids(region({ kind: "box", low: { lat: -90, lng: 5 }, high: { lat: -89.99, lng: 6 } }))).toEqual(["s0", "s179"]);
    // A box short of the pole finds none of them; moving a pole point off the pole moves it out.
    expect(ids(region({ kind: "box", low: { lat: 89.99, lng: 5 }, high: { lat: 89.999, lng: 6 } }))).toEqual([]);
    putGeoPoint(sql, C, "n123", { lat: 89.5, lng: 123.4 });
    expect(ids(region({ kind: "box", low: { lat: 89.99, lng: 5 }, high: { lat: 90, lng: 6 } }))).toEqual(["n-180", "n0", "n5"]);
  });

  it("the largest radius finds every point on Earth, nearest first; poles included", () => {
    const sql = shard();
    const all: Array<[string, LatLng]> = [
      ["north", { lat: 90, lng: 0 }],
      ["south", { lat: -90, lng: 123 }],
      ["east", { lat: 0, lng: 180 }],
      ["west", { lat: 0, lng: -179.5 }],
      ["home", { lat: 0, lng: 0 }],
    ];
    for (const [id, p] of all) putGeoPoint(sql, C, id, p);
    const found = hits(sql, region({ kind: "near", center: { lat: 0, lng: 0 }, radiusMeters: 20_037_509 }));
    expect(found.map((h) => h.id)).toEqual(["home", "north", "south", "west", "east"]);
    expect(found[0]!.distanceMeters).toBe(0);
  });

  it("a circle round the north pole finds points of every longitude there, and no others", () => {
    const sql = shard();
    for (let lng = -180; lng <= 180; lng += 45) putGeoPoint(sql, C, `arctic${lng}`, { lat: 89.9, lng });
    putGeoPoint(sql, C, "oslo", { lat: 59.9, lng: 10.7 });
    const found = hits(sql, region({ kind: "near", center: { lat: 90, lng: 0 }, radiusMeters: 20_000 }));
    expect(found.map((h) => h.id).sort()).toEqual(["arctic-135", "arctic-180", "arctic-45", "arctic-90", "arctic0", "arctic135", "arctic180", "arctic45", "arctic90"]);
  });

  it("a near circle and a box across the antimeridian find both sides", () => {
    const sql = shard();
    putGeoPoint(sql, C, "fiji", { lat: -17.7, lng: 178.1 });
    putGeoPoint(sql, C, "samoa", { lat: -13.8, lng: -172.1 });
    putGeoPoint(sql, C, "greenwich", { lat: 51.5, lng: 0 });
    const near = hits(sql, region({ kind: "near", center: { lat: -15, lng: 180 }, radiusMeters: 1_500_000 }));
    expect(near.map((h) => h.id).sort()).toEqual(["fiji", "samoa"]);
    const box = hits(sql, region({ kind: "box", low: { lat: -20, lng: 170 }, high: { lat: -10, lng: -170 } }));
    expect(box.map((h) => h.id)).toEqual(["fiji", "samoa"]);
  });

  it("moves, removes and re-adds a point; values that are not points are not indexed", () => {
    const sql = shard();
    const paris = region({ kind: "near", center: { lat: 48.85, lng: 2.35 }, radiusMeters: 10_000 });
    indexGeoDocument(sql, C, ["loc"], "d", { loc: { lat: 48.86, lng: 2.34, label: "Louvre" } });
    expect(hits(sql, paris).map((h) => h.id)).toEqual(["d"]);
    indexGeoDocument(sql, C, ["loc"], "d", { loc: { lat: 40.7, lng: -74 } });
    expect(hits(sql, paris)).toEqual([]);
    indexGeoDocument(sql, C, ["loc"], "d", { loc: { lat: 48.85, lng: 2.35 } });
    expect(hits(sql, paris)).toEqual([{ id: "d", distanceMeters: 0 }]);
    for (const bad of [{ lat: "48.85", lng: 2.35 }, { lat: 91, lng: 0 }, { lat: 0, lng: 180.5 }, [48.85, 2.35], "48.85,2.35", null, { lat: 48.85 }]) {
      indexGeoDocument(sql, C, ["loc"], "d", { loc: bad as never });
      expect(hits(sql, paris), JSON.stringify(bad)).toEqual([]);
      indexGeoDocument(sql, C, ["loc"], "d", { loc: { lat: 48.85, lng: 2.35 } });
    }
    indexGeoDocument(sql, C, ["loc"], "d", null);
    expect(hits(sql, paris)).toEqual([]);
  });

  it("keeps collections whose names differ only in case apart, and drops one without the other", () => {
    const sql = shard();
    createGeoTables(sql, "Places");
    putGeoPoint(sql, C, "lower", { lat: 1, lng: 1 });
    putGeoPoint(sql, "Places", "upper", { lat: 1, lng: 1 });
    const r = region({ kind: "near", center: { lat: 1, lng: 1 }, radiusMeters: 1 });
    expect(hits(sql, r).map((h) => h.id)).toEqual(["lower"]);
    dropGeoTables(sql, "Places");
    expect(geoTablesExist(sql, "Places")).toBe(false);
    expect(geoCandidates(sql, "Places", r)).toMatchObject({ ok: true, hits: [] });
    expect(hits(sql, r).map((h) => h.id)).toEqual(["lower"]);
  });

  it("refuses with RESOURCE_EXHAUSTED past the candidates limit, and counts candidates before the exact check", () => {
    const sql = shard();
    for (let i = 0; i < 20; i++) putGeoPoint(sql, C, `p${i}`, { lat: i / 100, lng: i / 100 });
    const r = region({ kind: "box", low: { lat: 0, lng: 0 }, high: { lat: 1, lng: 1 } });
    expect(geoCandidates(sql, C, r, { candidatesMax: 19 })).toMatchObject({ ok: false, kind: "resource_exhausted" });
    const near = geoCandidates(sql, C, region({ kind: "near", center: { lat: 0, lng: 0 }, radiusMeters: 10_000 }));
    if (!near.ok) throw new Error(near.message);
    expect(near.hits.length).toBeLessThan(near.candidates);
    expect(near.rowsRead).toBeGreaterThanOrEqual(near.candidates);
  });
});
