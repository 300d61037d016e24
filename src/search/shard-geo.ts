/**
 * A shard's side of a geo search (a query whose search clause has `near`
 * or `within` and no text): the documents of the collection inside the
 * region, from the geo index (geo/geo-sql.ts: R*Tree boxes, then the exact
 * check), walked in (distance, id) order after the page's cursor, each
 * loaded and kept when the query's filter and the caller's read rule admit
 * it, up to `limit` documents or SHARD_REPLY_BYTES_MAX of them.
 *
 * Like the text passes, it first indexes any document of the collection
 * still queued (search-maintenance.ts), so a search sees every write made
 * before it.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { failure, type Failure } from "../errors.js";
import { SHARD_REPLY_BYTES_MAX } from "../limits.js";
import { matches } from "../query/evaluate.js";
import { matchesEverything, type Expr } from "../query/expression.js";
import { ruleFiltered } from "../query/shard-query.js";
import { documentCheck, type ShardReadRule } from "../rules/read-rule.js";
import type { StoredDocument } from "../storage/types.js";
import { readSearchIndex, type SearchSql } from "./catalog.js";
import { geoFieldPath } from "./geo-index.js";
import { geoCandidates, type GeoCursor } from "./geo/geo-sql.js";
import type { GeoRegion } from "./geo/region.js";
import { catchUp } from "./search-maintenance.js";
import { readableGeoIds, readableScope } from "./readable-stats.js";

/** A page request of a geo search to one shard. */
export interface ShardGeoRequest {
  readonly collection: string;
  /** The compiled region (geo/region.ts), checked by the Worker. */
  readonly region: GeoRegion;
  readonly filter: Expr;
  readonly rule?: ShardReadRule | null;
  /** Set by the shard itself, never by the Worker: leave out the rows it releases after a resharding (readable-stats.ts ReadableScope). */
  readonly excludeMoved?: boolean;
  /** Resume strictly after this (distance, id); from the start when null. */
  readonly after: GeoCursor | null;
  /** The most documents to return, at least 1. */
  readonly limit: number;
  /** Fail with RESOURCE_EXHAUSTED past this many rows read. */
  readonly rowsReadMax: number;
}

/** A shard's page of a geo search. */
export type ShardGeoResult =
  | {
      readonly ok: true;
      readonly documents: StoredDocument[];
      /** Per document, its distance from the near center in meters (0 for within). */
      readonly distances: number[];
      /** True when documents after the last one may match. */
      readonly hasMore: boolean;
      /** Geo index entries read before the exact check (SearchPlan.geo_candidates). */
      readonly candidates: number;
      readonly rowsRead: number;
    }
  | (Failure & { readonly rowsRead: number });

/** Runs one page of a geo search on this shard (inside the shard's transaction: it may index queued documents). */
export function runShardGeoSearch(sql: SearchSql, req: ShardGeoRequest): ShardGeoResult {
  if (!(Number.isInteger(req.limit) && req.limit > 0)) throw new Error("invariant broken: a geo page asks for at least one row");
  const problem = geoSearchable(sql, req.collection);
  if (problem !== null) return { ...problem, rowsRead: 0 };
  const behind = catchUp(sql, req.collection);
  if (behind !== null) return { ...behind, rowsRead: 0 };
  // A rule-bound caller's candidates, refusals and rows read count only the
  // documents it may read, and hidden ones are never loaded (issue 11).
  let readable: ReadonlySet<string> | null = null;
  const scope = readableScope(req);
  if (scope !== null) {
    const found = readableGeoIds(sql, req.collection, scope);
    if (!found.ok) return { ...found, rowsRead: 0 };
    readable = found.ids;
  }
  const found = geoCandidates(sql, req.collection, req.region, { after: req.after, readable });
  if (!found.ok) return { ...found, rowsRead: 0 };
  let rowsRead = found.rowsRead;
  if (rowsRead > req.rowsReadMax) return overBudget(rowsRead, req.rowsReadMax);
  const where = ruleFiltered(req.filter, req.rule);
  const admits = documentCheck(req.rule);
  const documents: StoredDocument[] = [];
  const distances: number[] = [];
  let bytes = 0;
  let hasMore = false;
  for (const hit of found.hits) {
    if (documents.length === req.limit || bytes >= SHARD_REPLY_BYTES_MAX) {
      hasMore = true;
      break;
    }
    const loaded = loadDocument(sql, req.collection, hit.id);
    rowsRead++;
    if (rowsRead > req.rowsReadMax) return overBudget(rowsRead, req.rowsReadMax);
    if (loaded === null) throw new Error("invariant broken: a geo-indexed document has a row (the queue was drained)");
    if (!matchesEverything(where) && !matches(where, loaded.doc)) continue;
    if (admits !== null && !admits(loaded.doc)) continue;
    documents.push(loaded.doc);
    distances.push(hit.distanceMeters);
    bytes += loaded.bytes;
  }
  return { ok: true, documents, distances, hasMore, candidates: found.candidates, rowsRead };
}

/**
 * For a text search with near or within (geo narrows, text ranks): the
 * documents of the collection on this shard inside `region`, each with its
 * distance, or why the collection cannot be searched by place. The caller
 * has indexed queued documents already. With `readable` (a rule-bound
 * caller's documents, which the caller has bounded), only those are
 * candidates, counted and refused on (geo/geo-sql.ts).
 */
export function geoNarrowing(
  sql: SearchSql,
  collection: string,
  region: GeoRegion,
  readable: ReadonlySet<string> | null = null,
): { readonly ok: true; readonly distances: Map<string, number>; readonly candidates: number; readonly rowsRead: number } | Failure {
  const problem = geoSearchable(sql, collection);
  if (problem !== null) return problem;
  const found = geoCandidates(sql, collection, region, { readable });
  if (!found.ok) return found;
  return { ok: true, distances: new Map(found.hits.map((h) => [h.id, h.distanceMeters])), candidates: found.candidates, rowsRead: found.rowsRead };
}

/** Why the collection cannot be searched by place on this shard, or null. */
function geoSearchable(sql: SearchSql, collection: string): Failure | null {
  const index = readSearchIndex(sql, collection);
  if (index === null) return failure("failed_precondition", `collection ${collection} has no search index; create one with a geo_field (CreateSearchIndex)`);
  if (geoFieldPath(index.spec) === null) return failure("failed_precondition", `the search index of collection ${collection} has no geo_field, so near and within cannot be used`);
  if (index.state !== "ready") return failure("failed_precondition", `the search index of collection ${collection} is not READY yet; finish it with CreateSearchIndex`);
  return null;
}

function loadDocument(sql: SearchSql, collection: string, id: string): { doc: StoredDocument; bytes: number } | null {
  const row = sql
    .exec<{ data: string; version: number; create_time_ms: number; update_time_ms: number; size_bytes: number }>(
      "SELECT data, version, create_time_ms, update_time_ms, size_bytes FROM documents WHERE collection = ? AND id = ?",
      collection,
      id,
    )
    .toArray()[0];
  if (row === undefined) return null;
  const doc = { collection, id, data: JSON.parse(row.data) as JsonObject, version: row.version, createTimeMs: row.create_time_ms, updateTimeMs: row.update_time_ms };
  return { doc, bytes: row.size_bytes };
}

function overBudget(rowsRead: number, max: number): Failure & { rowsRead: number } {
  return { ...failure("resource_exhausted", `the geo search read more than its remaining budget of ${max} rows (QUERY_ROWS_READ_MAX); narrow the region or the filter`), rowsRead };
}
