/**
 * The geo part of a search index on one shard: THE EXTENSION POINT for the
 * geospatial helper (issue 14, geo part). Until it lands, every function
 * here is a documented no-op, and a query with `near` or `within` answers
 * UNIMPLEMENTED from `search/geo-query.ts`.
 *
 * Contract the geo part fills (see README.md, "Maintenance"):
 * - `createGeoTables` runs once when CreateSearchIndex reaches a shard, in
 *   the same transaction as the catalog row (idempotent: a retry calls it
 *   again);
 * - `applyGeo` is called by search-maintenance.ts for every queued
 *   document, with its current data or null when it was deleted, inside
 *   the same transaction as the text part;
 * - `dropGeoTables` runs when DeleteSearchIndex reaches the shard.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import type { SearchIndexSpec, SearchSql } from "./catalog.js";

/** Creates the collection's geo tables (no-op until the geo part lands). */
export function createGeoTables(_sql: SearchSql, spec: SearchIndexSpec): void {
  if (spec.geoField === null) return;
}

/** Brings one document's geo entry in step with its row (no-op until the geo part lands). */
export function applyGeo(_sql: SearchSql, spec: SearchIndexSpec, _id: string, _data: JsonObject | null): void {
  if (spec.geoField === null) return;
}

/** Drops the collection's geo tables (no-op until the geo part lands). */
export function dropGeoTables(_sql: SearchSql, _collection: string): void {}
