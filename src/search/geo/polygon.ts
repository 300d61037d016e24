/**
 * Polygons in latitude/longitude: checking one a query names, and whether a
 * point is inside it.
 *
 * Semantics (docs/search.md repeats them): a polygon's edges are straight
 * lines in the latitude/longitude plane (not great circles), and the last
 * vertex joins the first. Each edge runs the short way round in longitude,
 * so an edge from 170 to -170 crosses the antimeridian (20 degrees wide),
 * not the prime meridian (340 degrees); an edge exactly 180 degrees wide is
 * ambiguous and refused. A polygon may therefore cross the antimeridian; it
 * may not go round a pole (its edges would wind a full 360 degrees). A
 * point on an edge or a vertex is inside. Inside means the even-odd rule.
 *
 * Refused with INVALID_ARGUMENT: fewer than 3 distinct vertices (repeated
 * consecutive vertices, and a last vertex equal to the first as GeoJSON
 * writes it, count once), zero area (all vertices on one line), edges that
 * cross or touch other than at their shared vertex (not a simple polygon),
 * an edge 180 degrees wide, a polygon round a pole or 360 degrees wide.
 */
import { failure, type Failure } from "../../errors.js";
import { GEO_POLYGON_VERTICES_MAX } from "../../limits.js";
import { lngSpanBoxes, type LatLngBox } from "./box.js";
import type { LatLng } from "./point.js";

/**
 * A checked polygon. Its longitudes are unwrapped: each vertex's is the
 * previous one's plus the edge's short-way difference, so they may run past
 * ±180 and the polygon is an ordinary plane polygon.
 */
export interface PreparedPolygon {
  /** Latitudes of the vertices (y). */
  readonly ys: Float64Array;
  /** Unwrapped longitudes of the vertices (x). */
  readonly xs: Float64Array;
  readonly minLat: number;
  readonly maxLat: number;
  /** The unwrapped longitude span: minX <= maxX, maxX - minX < 360. */
  readonly minX: number;
  readonly maxX: number;
}

/** The outcome of checking a polygon. */
export type PolygonCheck = { readonly ok: true; readonly polygon: PreparedPolygon } | Failure;

/** Checks the vertices of a GeoPolygon (in range, as the proto's rules say) and prepares it for `polygonContains`. */
export function preparePolygon(vertices: readonly LatLng[]): PolygonCheck {
  if (vertices.length > GEO_POLYGON_VERTICES_MAX) {
    return failure("invalid_argument", `polygon has ${vertices.length} vertices, over GEO_POLYGON_VERTICES_MAX (${GEO_POLYGON_VERTICES_MAX})`);
  }
  const distinct = withoutRepeats(vertices);
  const distinctCount = new Set(distinct.map((v) => `${v.lat},${Math.abs(v.lng) === 180 ? 180 : v.lng}`)).size;
  if (distinctCount < 3) {
    return failure("invalid_argument", `polygon has ${distinctCount} distinct vertices; it needs at least 3`);
  }
  const n = distinct.length;
  const ys = new Float64Array(n);
  const xs = new Float64Array(n);
  let winding = 0;
  for (let i = 0; i < n; i++) {
    ys[i] = distinct[i]!.lat;
    if (i === 0) xs[i] = distinct[i]!.lng;
    const next = distinct[(i + 1) % n]!;
    const delta = shortLngDelta(distinct[i]!.lng, next.lng);
    if (delta === null) {
      return failure("invalid_argument", `polygon edge ${i} (vertex ${i} to ${(i + 1) % n}) spans exactly 180 degrees of longitude, so its direction is ambiguous; add a vertex between`);
    }
    if (i + 1 < n) xs[i + 1] = xs[i]! + delta;
    winding += delta;
  }
  if (Math.abs(winding) > 1e-6) {
    return failure("invalid_argument", "polygon goes round a pole (its edges wind 360 degrees of longitude); split it, or use a box or a near condition");
  }
  let minX = Infinity, maxX = -Infinity, minLat = Infinity, maxLat = -Infinity;
  for (let i = 0; i < n; i++) {
    minX = Math.min(minX, xs[i]!);
    maxX = Math.max(maxX, xs[i]!);
    minLat = Math.min(minLat, ys[i]!);
    maxLat = Math.max(maxLat, ys[i]!);
  }
  if (maxX - minX >= 360) return failure("invalid_argument", "polygon spans 360 degrees of longitude or more; split it");
  if (allOnOneLine(xs, ys)) return failure("invalid_argument", "polygon has zero area (its vertices lie on one line)");
  const crossing = firstCrossing(xs, ys);
  if (crossing !== null) {
    return failure("invalid_argument", `polygon is not simple: edge ${crossing[0]} and edge ${crossing[1]} cross or touch`);
  }
  // A simple polygon not on one line encloses something; rounding aside.
  if (signedArea(xs, ys) === 0) return failure("invalid_argument", "polygon has zero area");
  return { ok: true, polygon: { ys, xs, minLat, maxLat, minX, maxX } };
}

/** The R*Tree boxes of a polygon: its bounding box, split at the antimeridian when it crosses it. */
export function polygonBoxes(polygon: PreparedPolygon): LatLngBox[] {
  return lngSpanBoxes(polygon.minLat, polygon.maxLat, polygon.minX, polygon.maxX);
}

/** True when `point` is inside `polygon` or on its boundary. */
export function polygonContains(polygon: PreparedPolygon, point: LatLng): boolean {
  if (point.lat < polygon.minLat || point.lat > polygon.maxLat) return false;
  // The point's longitude in the polygon's unwrapped frame: at most two of
  // these three fall in a span under 360 degrees wide (two only for ±180).
  for (const x of [point.lng, point.lng + 360, point.lng - 360]) {
    if (x < polygon.minX || x > polygon.maxX) continue;
    if (planeContains(polygon, x, point.lat)) return true;
  }
  return false;
}

/** Even-odd test in the plane, with points on the boundary inside. */
function planeContains(polygon: PreparedPolygon, x: number, y: number): boolean {
  const { xs, ys } = polygon;
  const n = xs.length;
  let inside = false;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const xi = xs[i]!, yi = ys[i]!, xj = xs[j]!, yj = ys[j]!;
    if (onSegment(xj, yj, xi, yi, x, y)) return true;
    // Half-open in y, so a ray through a vertex counts it once.
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function cross(ax: number, ay: number, bx: number, by: number, px: number, py: number): number {
  return (bx - ax) * (py - ay) - (by - ay) * (px - ax);
}

function onSegment(ax: number, ay: number, bx: number, by: number, px: number, py: number): boolean {
  if (px < Math.min(ax, bx) || px > Math.max(ax, bx) || py < Math.min(ay, by) || py > Math.max(ay, by)) return false;
  return cross(ax, ay, bx, by, px, py) === 0;
}

/** The longitude difference from `a` to `b` taken the short way, in (-180, 180); null when it is exactly ±180. */
function shortLngDelta(a: number, b: number): number | null {
  let delta = b - a;
  if (delta > 180) delta -= 360;
  else if (delta < -180) delta += 360;
  return Math.abs(delta) === 180 ? null : delta;
}

/** The vertices with consecutive repeats (and a closing repeat of the first) dropped. */
function withoutRepeats(vertices: readonly LatLng[]): LatLng[] {
  const out: LatLng[] = [];
  for (const v of vertices) {
    const last = out[out.length - 1];
    if (last === undefined || !samePoint(last, v)) out.push(v);
  }
  while (out.length > 1 && samePoint(out[0]!, out[out.length - 1]!)) out.pop();
  return out;
}

function samePoint(a: LatLng, b: LatLng): boolean {
  return a.lat === b.lat && (a.lng === b.lng || (Math.abs(a.lng) === 180 && a.lng === -b.lng));
}

function allOnOneLine(xs: Float64Array, ys: Float64Array): boolean {
  for (let i = 2; i < xs.length; i++) if (cross(xs[0]!, ys[0]!, xs[1]!, ys[1]!, xs[i]!, ys[i]!) !== 0) return false;
  return true;
}

function signedArea(xs: Float64Array, ys: Float64Array): number {
  let sum = 0;
  for (let i = 0, j = xs.length - 1; i < xs.length; j = i++) sum += (xs[j]! - xs[i]!) * (ys[j]! + ys[i]!);
  return sum / 2;
}

/**
 * The first pair of edges (by index) that intersect other than where
 * neighbours share a vertex, or null for a simple polygon. Quadratic: at
 * GEO_POLYGON_VERTICES_MAX vertices about half a million segment tests, a
 * few milliseconds, paid once per query.
 */
function firstCrossing(xs: Float64Array, ys: Float64Array): [number, number] | null {
  const n = xs.length;
  for (let i = 0; i < n; i++) {
    const i2 = (i + 1) % n;
    for (let j = i + 1; j < n; j++) {
      const j2 = (j + 1) % n;
      const adjacent = j === i2 || i === j2;
      if (adjacent) {
        // Neighbours share one vertex; they overlap only if the second turns
        // straight back along the first.
        const [shared, a, b] = j === i2 ? [i2, i, j2] : [i, i2, j];
        if (cross(xs[a]!, ys[a]!, xs[shared]!, ys[shared]!, xs[b]!, ys[b]!) === 0) {
          const dot = (xs[a]! - xs[shared]!) * (xs[b]! - xs[shared]!) + (ys[a]! - ys[shared]!) * (ys[b]! - ys[shared]!);
          if (dot > 0) return [i, j];
        }
        continue;
      }
      if (segmentsIntersect(xs[i]!, ys[i]!, xs[i2]!, ys[i2]!, xs[j]!, ys[j]!, xs[j2]!, ys[j2]!)) return [i, j];
    }
  }
  return null;
}

function segmentsIntersect(ax: number, ay: number, bx: number, by: number, cx: number, cy: number, dx: number, dy: number): boolean {
  const d1 = Math.sign(cross(cx, cy, dx, dy, ax, ay));
  const d2 = Math.sign(cross(cx, cy, dx, dy, bx, by));
  const d3 = Math.sign(cross(ax, ay, bx, by, cx, cy));
  const d4 = Math.sign(cross(ax, ay, bx, by, dx, dy));
  if (d1 * d2 < 0 && d3 * d4 < 0) return true;
  return (
    (d1 === 0 && onSegment(cx, cy, dx, dy, ax, ay)) ||
    (d2 === 0 && onSegment(cx, cy, dx, dy, bx, by)) ||
    (d3 === 0 && onSegment(ax, ay, bx, by, cx, cy)) ||
    (d4 === 0 && onSegment(ax, ay, bx, by, dx, dy))
  );
}
