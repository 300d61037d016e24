/**
 * The geo index on a shard: per collection, an R*Tree of points and a table
 * mapping the R*Tree's integer ids to document ids with the exact
 * coordinates. SQLite's R*Tree keeps 32-bit floats, rounding each box
 * outward, so a stored point's box always contains the point and the
 * R*Tree's answers are a superset; the exact check (region.ts) runs on the
 * doubles kept in the mapping table.
 *
 * Table names carry the collection's name in hex: SQLite compares
 * identifiers without regard to case, and collections `Foo` and `foo` are
 * two collections. Every value is a bound parameter. The functions run
 * inside the caller's transaction (a write's, or the index build's), so
 * the index and the documents change together.
 */
import { failure, type Failure } from "../../errors.js";
import { GEO_CANDIDATES_PER_SHARD_MAX } from "../../limits.js";
import type { SqlValue } from "../../query/sql-value.js";
import { compareStrings } from "../../query/values.js";
import type { FieldPath } from "../../validation/field-path.js";
import { rtreeQueryBoxes } from "./box.js";
import { geoPointOf, type LatLng } from "./point.js";
import { regionDistance, type GeoRegion } from "./region.js";

/** The slice of SqlStorage the geo index needs (the search catalog's SearchSql; node:sqlite adapts to it in tests). */
export interface GeoSql {
  exec<T extends Record<string, SqlValue>>(query: string, ...bindings: unknown[]): { toArray(): T[]; readonly rowsRead?: number };
}

/** The SQL names of one collection's geo tables (safe between double quotes). */
export function geoTableNames(collection: string): { readonly points: string; readonly rtree: string } {
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(collection)) throw new Error("invariant broken: collection names are checked before they reach the geo index");
  let hex = "";
  for (let i = 0; i < collection.length; i++) hex += collection.charCodeAt(i).toString(16).padStart(2, "0");
  return { points: `geo_points_${hex}`, rtree: `geo_rtree_${hex}` };
}

/** Creates a collection's geo tables on this shard, idempotently (empty: the caller backfills). */
export function createGeoTables(sql: GeoSql, collection: string): void {
  const t = geoTableNames(collection);
  sql.exec(`CREATE TABLE IF NOT EXISTS "${t.points}" (rid INTEGER PRIMARY KEY, doc_id TEXT NOT NULL UNIQUE, lat REAL NOT NULL, lng REAL NOT NULL)`);
  sql.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS "${t.rtree}" USING rtree(rid, min_lat, max_lat, min_lng, max_lng)`);
}

/** True when this shard has the collection's geo tables. */
export function geoTablesExist(sql: GeoSql, collection: string): boolean {
  const t = geoTableNames(collection);
  return sql.exec("SELECT 1 AS present FROM sqlite_master WHERE type = 'table' AND name = ?", t.points).toArray().length > 0;
}

/** Drops a collection's geo tables on this shard, idempotently. */
export function dropGeoTables(sql: GeoSql, collection: string): void {
  const t = geoTableNames(collection);
  sql.exec(`DROP TABLE IF EXISTS "${t.rtree}"`);
  sql.exec(`DROP TABLE IF EXISTS "${t.points}"`);
}

/**
 * Sets one document's entry: its point, or none (`null`: deleted, or its
 * geo field holds no point). Reads one row and writes at most two.
 */
export function putGeoPoint(sql: GeoSql, collection: string, docId: string, point: LatLng | null): void {
  const t = geoTableNames(collection);
  const existing = sql.exec<{ rid: number; lat: number; lng: number }>(`SELECT rid, lat, lng FROM "${t.points}" WHERE doc_id = ?`, docId).toArray()[0];
  if (point === null) {
    if (existing === undefined) return;
    sql.exec(`DELETE FROM "${t.rtree}" WHERE rid = ?`, existing.rid);
    sql.exec(`DELETE FROM "${t.points}" WHERE rid = ?`, existing.rid);
    return;
  }
  if (existing !== undefined) {
    if (existing.lat === point.lat && existing.lng === point.lng) return;
    sql.exec(`UPDATE "${t.points}" SET lat = ?, lng = ? WHERE rid = ?`, point.lat, point.lng, existing.rid);
    const span = rtreeLngSpan(point);
    sql.exec(`UPDATE "${t.rtree}" SET min_lat = ?, max_lat = ?, min_lng = ?, max_lng = ? WHERE rid = ?`, point.lat, point.lat, span.min, span.max, existing.rid);
    return;
  }
  const rid = sql.exec<{ rid: number }>(`INSERT INTO "${t.points}" (doc_id, lat, lng) VALUES (?, ?, ?) RETURNING rid`, docId, point.lat, point.lng).toArray()[0]!.rid;
  const span = rtreeLngSpan(point);
  sql.exec(`INSERT INTO "${t.rtree}" (rid, min_lat, max_lat, min_lng, max_lng) VALUES (?, ?, ?, ?, ?)`, rid, point.lat, point.lat, span.min, span.max);
}

/**
 * The longitudes a point's R*Tree entry spans: its own, or every longitude
 * for a pole (one point whatever longitude it was written with), so that a
 * box reaching the pole finds it however it was stored.
 */
function rtreeLngSpan(point: LatLng): { min: number; max: number } {
  return Math.abs(point.lat) === 90 ? { min: -180, max: 180 } : { min: point.lng, max: point.lng };
}

/** Indexes one document by its data (parsed JSON), or removes it when `data` is null or holds no point. */
export function indexGeoDocument(sql: GeoSql, collection: string, field: FieldPath, docId: string, data: Parameters<typeof geoPointOf>[0] | null): void {
  putGeoPoint(sql, collection, docId, data === null ? null : geoPointOf(data, field));
}

/** One document a geo condition matched. */
export interface GeoHit {
  readonly id: string;
  /** Distance from the near center in meters; 0 for within. */
  readonly distanceMeters: number;
}

/** Where a page of geo hits resumes: strictly after this (distance, id). */
export interface GeoCursor {
  readonly distanceMeters: number;
  readonly id: string;
}

/** Options of a candidate query. */
export interface GeoCandidateOptions {
  readonly after?: GeoCursor | null;
  /** The most hits to return (all when unset). */
  readonly limit?: number;
  /** Fail past this many R*Tree candidates; GEO_CANDIDATES_PER_SHARD_MAX when unset. */
  readonly candidatesMax?: number;
  /**
   * For a caller bound by a read rule: the ids of the documents it may
   * read. Other entries are skipped and never counted, in `candidates`,
   * `rowsRead` or against `candidatesMax` (issue 11), so the entries
   * stepped over are not bounded here: the caller bounds the geo index's
   * size first (readable-stats.ts, SEARCH_RULE_BOUND_INDEX_DOCUMENTS_MAX).
   */
  readonly readable?: ReadonlySet<string> | null;
}

/** The hits of a geo condition on this shard, with what it cost. */
export interface GeoCandidates {
  readonly ok: true;
  /** Matching documents in (distance, id) order, after the cursor, at most `limit`. */
  readonly hits: GeoHit[];
  /** Entries the R*Tree returned before the exact check (SearchPlan.geo_candidates); with `readable`, readable ones only. */
  readonly candidates: number;
  /** Rows SQLite read; with `readable`, the readable entries only. */
  readonly rowsRead: number;
}

/**
 * The documents of `collection` on this shard inside `region`: R*Tree
 * boxes first, then the exact check, sorted by (distance, id) (for within
 * every distance is 0, so by id), resumed after `after`, cut at `limit`.
 * RESOURCE_EXHAUSTED past `candidatesMax` candidates; a collection with no
 * geo tables has no hits.
 */
export function geoCandidates(sql: GeoSql, collection: string, region: GeoRegion, options: GeoCandidateOptions = {}): GeoCandidates | Failure {
  const t = geoTableNames(collection);
  const candidatesMax = options.candidatesMax ?? GEO_CANDIDATES_PER_SHARD_MAX;
  const readable = options.readable ?? null;
  const seen = new Set<string>();
  const hits: GeoHit[] = [];
  let candidates = 0;
  let rowsRead = 0;
  if (!geoTablesExist(sql, collection)) return { ok: true, hits, candidates, rowsRead };
  for (const box of rtreeQueryBoxes(region.boxes)) {
    // LIMIT one past what is left of the budget: a region too large is
    // refused after reading a bounded number of rows, not all of them.
    // Not with `readable`: hidden entries must not count toward it.
    const cursor = sql.exec<{ doc_id: string; lat: number; lng: number }>(
      `SELECT p.doc_id, p.lat, p.lng FROM "${t.rtree}" r JOIN "${t.points}" p ON p.rid = r.rid
        WHERE r.max_lat >= ? AND r.min_lat <= ? AND r.max_lng >= ? AND r.min_lng <= ? LIMIT ?`,
      box.minLat,
      box.maxLat,
      box.minLng,
      box.maxLng,
      readable === null ? candidatesMax - candidates + 1 : -1,
    );
    const all = cursor.toArray();
    const rows = readable === null ? all : all.filter((row) => readable.has(row.doc_id));
    rowsRead += readable === null ? (cursor.rowsRead ?? rows.length) : rows.length;
    candidates += rows.length;
    if (candidates > candidatesMax) {
      return failure("resource_exhausted", `the geo condition matched more than ${candidatesMax} index entries on one shard (GEO_CANDIDATES_PER_SHARD_MAX); narrow the region`);
    }
    for (const row of rows) {
      // Boxes of one region may overlap at their edges (the antimeridian slivers).
      if (seen.has(row.doc_id)) continue;
      seen.add(row.doc_id);
      const distanceMeters = regionDistance(region, row);
      if (distanceMeters !== null) hits.push({ id: row.doc_id, distanceMeters });
    }
  }
  hits.sort(compareGeoHits);
  const after = options.after ?? null;
  const start = after === null ? 0 : firstAfter(hits, after);
  const end = options.limit === undefined ? hits.length : Math.min(hits.length, start + options.limit);
  return { ok: true, hits: hits.slice(start, end), candidates, rowsRead };
}

/** The order of geo hits: nearest first, then by id (code point order, as queries order ids). */
export function compareGeoHits(a: GeoCursor, b: GeoCursor): number {
  return a.distanceMeters - b.distanceMeters || compareStrings(a.id, b.id);
}

function firstAfter(hits: readonly GeoHit[], after: GeoCursor): number {
  let lo = 0, hi = hits.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareGeoHits(hits[mid]!, after) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
