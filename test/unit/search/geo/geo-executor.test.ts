/**
 * Geo search over 1, 3 and 8 in-memory shards (the shards' real schema,
 * search index lifecycle, maintenance and geo code, through the Worker's
 * geo executor) against a brute-force oracle over all documents: the same
 * documents in the same (distance, id) order, with the query's filter, a
 * read rule, offset and limit, whole and page by page, after writes that move,
 * remove and un-locate documents. GEO_SEED replays a run.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { MATCH_ALL, type Expr } from "../../../../src/query/expression.js";
import type { QuerySpec } from "../../../../src/query/executor.js";
import { runGeoPage, streamGeo, type GeoPageState } from "../../../../src/search/geo-executor.js";
import { haversineMeters } from "../../../../src/search/geo/distance.js";
import { geoPointOf, type LatLng } from "../../../../src/search/geo/point.js";
import { compileGeoCondition, regionDistance, type GeoCondition, type GeoRegion } from "../../../../src/search/geo/region.js";
import { geoCluster, type GeoCluster } from "./geo-cluster.js";
import { geoSeed, point } from "./geo-arbitraries.js";

const seed = geoSeed("geo-executor.test.ts");
const C = "places";
const deadline = () => ({ atMs: Date.now() + 60_000, now: () => Date.now() });
const opened: GeoCluster[] = [];
afterEach(() => {
  while (opened.length > 0) opened.pop()!.close();
});

function spec(filter: Expr, limit: number | null = null, offset = 0): QuerySpec {
  return { collection: C, filter, order: [], limit, offset, select: null };
}

function region(condition: GeoCondition): GeoRegion {
  const compiled = compileGeoCondition(condition);
  if (!compiled.ok) throw new Error(compiled.message);
  return compiled.region;
}

/** The oracle: every document checked directly, sorted by (distance, id). */
function oracle(docs: ReadonlyMap<string, JsonObject>, r: GeoRegion, keep: (data: JsonObject) => boolean): Array<{ id: string; distanceMeters: number }> {
  const out: Array<{ id: string; distanceMeters: number }> = [];
  for (const [id, data] of docs) {
    const p = geoPointOf(data, ["loc"]);
    if (p === null || !keep(data)) continue;
    const d = regionDistance(r, p);
    if (d !== null) out.push({ id, distanceMeters: d });
  }
  return out.sort((a, b) => a.distanceMeters - b.distanceMeters || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

async function walk(c: GeoCluster, s: QuerySpec, r: GeoRegion, pageSize: number) {
  const out: Array<{ id: string; distanceMeters: number }> = [];
  let state: GeoPageState | null = null;
  for (let i = 0; i < 10_000; i++) {
    const page = await runGeoPage(c.shards, s, r, pageSize, state, { deadline: deadline(), explain: false });
    out.push(...page.documents.map((d) => ({ id: d.doc.id, distanceMeters: d.distanceMeters })));
    if (page.next === null) return out;
    state = page.next;
  }
  throw new Error("page walk did not end");
}

async function stream(c: GeoCluster, s: QuerySpec, r: GeoRegion) {
  const out: Array<{ id: string; distanceMeters: number }> = [];
  for await (const d of streamGeo(c.shards, s, r, { deadline: deadline(), explain: false })) out.push({ id: d.doc.id, distanceMeters: d.distanceMeters });
  return out;
}

const EVEN: Expr = { kind: "compare", path: ["n"], op: "==", value: 0 };

describe.each([1, 3, 8])("geo search over %i shard(s) against the oracle", (shardCount) => {
  it("near and within, with and without a filter, offset and limit, whole, paged and streamed, after moves and deletes", { timeout: 120_000 }, async () => {
    const c = geoCluster(shardCount, C);
    opened.push(c);
    c.createSearchIndex({ collection: C, textFields: [], geoField: "loc" });
    const docs = new Map<string, JsonObject>();
    const points = fc.sample(point, { seed: seed + shardCount, numRuns: 600 });
    points.forEach((p, i) => {
      const id = `d${String(i).padStart(4, "0")}`;
      // Every seventh document has no usable point.
      const data: JsonObject = i % 7 === 0 ? { n: i % 2, loc: "somewhere" } : { n: i % 2, loc: { lat: p.lat, lng: p.lng } };
      docs.set(id, data);
      c.put(id, data);
    });
    // Move, remove and un-locate some documents after indexing.
    for (let i = 0; i < 600; i += 11) {
      const id = `d${String(i).padStart(4, "0")}`;
      if (i % 3 === 0) {
        docs.delete(id);
        c.remove(id);
      } else {
        const data: JsonObject = i % 3 === 1 ? { n: 1, loc: { lat: -points[i]!.lat, lng: points[i]!.lng } } : { n: 0 };
        docs.set(id, data);
        c.put(id, data);
      }
    }
    const conditions: GeoCondition[] = fc.sample(
      fc.oneof(
        fc.record({ center: point, radiusMeters: fc.oneof(fc.double({ min: 0, max: 3_000_000, noNaN: true }), fc.constant(20_037_509)) }).map((n) => ({ kind: "near" as const, ...n })),
        fc.tuple(point, point).map(([a, b]) => ({ kind: "box" as const, low: a.lat <= b.lat ? a : b, high: a.lat <= b.lat ? b : a })),
      ),
      { seed: seed * 7 + shardCount, numRuns: 25 },
    );
    conditions.push({ kind: "near", center: { lat: 90, lng: 0 }, radiusMeters: 2_000_000 });
    conditions.push({ kind: "box", low: { lat: -60, lng: 170 }, high: { lat: 60, lng: -170 } });
    conditions.push({ kind: "polygon", vertices: [{ lat: -50, lng: 160 }, { lat: -50, lng: -160 }, { lat: 70, lng: -175 }] });
    let nonEmpty = 0;
    for (const condition of conditions) {
      const r = region(condition);
      const all = oracle(docs, r, () => true);
      if (all.length > 0) nonEmpty++;
      const even = oracle(docs, r, (d) => d["n"] === 0);
      expect(await walk(c, spec(MATCH_ALL), r, 1000)).toEqual(all);
      expect(await walk(c, spec(EVEN), r, 7)).toEqual(even);
      expect(await walk(c, spec(EVEN, 10, 3), r, 4)).toEqual(even.slice(3, 13));
      expect(await stream(c, spec(MATCH_ALL, null, 5), r)).toEqual(all.slice(5));
      // A caller's read rule filters as the query's filter does: pushed
      // (exact), or evaluated per document in CEL on the shard.
      expect(await walk(c, { ...spec(MATCH_ALL), rule: { source: "resource.data.n == 0", filter: EVEN, exact: true, authJson: "{}", method: "list" } }, r, 9)).toEqual(even);
      expect(await walk(c, { ...spec(MATCH_ALL), rule: { source: "resource.data.n == 0", filter: MATCH_ALL, exact: false, authJson: "{}", method: "list" } }, r, 9)).toEqual(even);
      if (condition.kind === "near") {
        for (const hit of all) expect(hit.distanceMeters).toBe(haversineMeters(condition.center, geoPointOf(docs.get(hit.id)!, ["loc"]) as LatLng));
      }
    }
    expect(nonEmpty).toBeGreaterThan(5);
  });
});
