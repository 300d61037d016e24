/**
 * The geo index's SQL inside a real SQLite-backed Durable Object at the
 * project's compatibility date: workerd's SQLite has the R*Tree module
 * (enabled in 2026), and the shard-side geo code (search/geo/geo-sql.ts)
 * runs on it unchanged, with the same answers as in node:sqlite.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createGeoTables, dropGeoTables, geoCandidates, geoTablesExist, putGeoPoint } from "../../src/search/geo/geo-sql.js";
import { compileGeoCondition } from "../../src/search/geo/region.js";

describe("the geo index in workerd's SQLite", () => {
  it("creates an R*Tree, finds points near a center across the antimeridian, and drops it", async () => {
    const stub = env.SHARD.get(env.SHARD.idFromName("geo-rtree-probe"));
    const result = await runInDurableObject(stub, (_object, state) => {
      const sql = state.storage.sql;
      createGeoTables(sql, "places");
      putGeoPoint(sql, "places", "fiji", { lat: -17.7, lng: 178.1 });
      putGeoPoint(sql, "places", "samoa", { lat: -13.8, lng: -172.1 });
      putGeoPoint(sql, "places", "paris", { lat: 48.85, lng: 2.35 });
      const compiled = compileGeoCondition({ kind: "near", center: { lat: -15, lng: 180 }, radiusMeters: 1_500_000 });
      if (!compiled.ok) throw new Error(compiled.message);
      const found = geoCandidates(sql, "places", compiled.region);
      const rtreeRows = sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM "geo_rtree_706c61636573"').one().n;
      dropGeoTables(sql, "places");
      return { found, rtreeRows, existsAfterDrop: geoTablesExist(sql, "places") };
    });
    expect(result.rtreeRows).toBe(3);
    if (!result.found.ok) throw new Error(result.found.message);
    expect(result.found.hits.map((h) => h.id)).toEqual(["fiji", "samoa"]);
    expect(result.found.candidates).toBe(2);
    expect(result.existsAfterDrop).toBe(false);
  });
});
