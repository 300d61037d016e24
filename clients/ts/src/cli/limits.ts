/** The CLI's limits and defaults, with their units in their names. */
import { DOCUMENT_BYTES_MAX } from "../limits.js";

/**
 * Bytes of JSON text `put` and `add` read from stdin: twice the largest
 * document (DOCUMENT_BYTES_MAX, 1 MiB of compact JSON), room for the
 * indentation of a pretty-printed one. The server checks the document
 * itself; this bound only stops the CLI reading without end (`yes | put`).
 */
export const STDIN_BYTES_MAX = 2 * DOCUMENT_BYTES_MAX;

/** Documents per BatchWriteDocuments call of an import (the server's batch limit). */
export const IMPORT_BATCH_SIZE_MAX = 500;

/** Bytes of document JSON per import batch, under the server's 10 MiB per batch with room for framing. */
export const IMPORT_BATCH_BYTES_MAX = 8 * 1024 * 1024;

/** Attempts of one import batch (the first included) while writes fail with transient codes. */
export const IMPORT_BATCH_ATTEMPTS_MAX = 6;

/** Problems of an input file printed before the rest are only counted. */
export const IMPORT_PROBLEMS_SHOWN_MAX = 20;

/** Documents per page of an export (the server's largest page). */
export const EXPORT_PAGE_SIZE_MAX = 1000;

/** Rows of a query printed unless --limit says otherwise. */
export const QUERY_LIMIT_DEFAULT = 100;

/** The widest cell of a table, in characters; longer values are cut with "…". */
export const TABLE_CELL_WIDTH_MAX = 40;

/** The most shards `reshard` asks for (StartResharding's own bound). */
export const RESHARD_SHARD_COUNT_MAX = 1024;

/** The most sources `reshard --sources-at-once` asks for (ReshardingThrottle's own bound). */
export const RESHARD_SOURCES_AT_ONCE_MAX = 8;

/** The largest `reshard --rest-ratio` (ReshardingThrottle's own bound). */
export const RESHARD_REST_RATIO_MAX = 20;

/** Between two progress checks of `reshard --wait` and `resharding cancel --wait`. */
export const RESHARD_WAIT_INTERVAL_MS_DEFAULT = 500;

/** The longest `--interval-ms` between two progress checks (a minute). */
export const RESHARD_WAIT_INTERVAL_MS_MAX = 60_000;

/** The largest weight of a search index's text field (CreateSearchIndex's own bound; 0 means 1). */
export const SEARCH_FIELD_WEIGHT_MAX = 1000;

/** The largest `query --near` radius, in meters (SearchQuery.near's own bound, the server's GEO_NEAR_RADIUS_METERS_MAX: half the Earth's circumference). */
export const GEO_NEAR_RADIUS_METERS_MAX = 20_037_509;

/** The largest latitude in `--near` and `--within`, in degrees, north or south. */
export const LATITUDE_DEGREES_MAX = 90;

/** The largest longitude in `--near` and `--within`, in degrees, east or west. */
export const LONGITUDE_DEGREES_MAX = 180;
