/**
 * The geo part of a search index on one shard, called by the search
 * infrastructure at its extension points (README.md, "Maintenance"):
 * - `createGeoTables` when CreateSearchIndex reaches a shard, in the same
 *   transaction as the catalog row (idempotent: a retry calls it again);
 * - `applyGeo` from search-maintenance.ts for every queued document, with
 *   its current data or null when it was deleted, in the same transaction
 *   as the text part;
 * - `dropGeoTables` when DeleteSearchIndex reaches the shard.
 * The index itself (R*Tree, exact check, candidate queries) is geo/.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { parseFieldPath, type FieldPath } from "../validation/field-path.js";
import type { SearchIndexSpec, SearchSql } from "./catalog.js";
import { createGeoTables as createTables, dropGeoTables as dropTables, indexGeoDocument } from "./geo/geo-sql.js";

/** The geo field of an index as a path; null for a text-only index. */
export function geoFieldPath(spec: SearchIndexSpec): FieldPath | null {
  if (spec.geoField === null || spec.geoField === "") return null;
  const parsed = parseFieldPath(spec.geoField);
  // CreateSearchIndex checked the path before the spec was stored.
  if (!parsed.ok) throw new Error(`invariant broken: a stored search index has an invalid geo field: ${parsed.message}`);
  return parsed.path;
}

/** Creates the collection's geo tables when the index has a geo field (empty: the backfill fills them). */
export function createGeoTables(sql: SearchSql, spec: SearchIndexSpec): void {
  if (geoFieldPath(spec) === null) return;
  createTables(sql, spec.collection);
}

/** Brings one document's geo entry in step with its row (data null: deleted). */
export function applyGeo(sql: SearchSql, spec: SearchIndexSpec, id: string, data: JsonObject | null): void {
  const path = geoFieldPath(spec);
  if (path === null) return;
  indexGeoDocument(sql, spec.collection, path, id, data);
}

/** Drops the collection's geo tables, if any. */
export function dropGeoTables(sql: SearchSql, collection: string): void {
  dropTables(sql, collection);
}
