/**
 * The one statement that stores a document's row, with its parameters, so
 * every writer (the shard's write path, and test shards in Node that run
 * the real query code) stores the same columns: the JSON, the version and
 * times, the size, the `num_keys` shadow that SQL compares numbers by
 * (see query/number-key.ts) and the commit timestamp snapshot reads use
 * (see sync/snapshot-store.ts). Free of Workers types, so Node code can use it.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { numberKeysJson } from "../query/number-key.js";
import type { StoredDocument } from "./types.js";
import { BATCH_ROWS_SOURCE_SQL } from "./batch-rows.js";

// What a stored row's contents become when it is written again (create_time_ms is kept).
const ON_CONFLICT_REPLACE = `ON CONFLICT (collection, id) DO UPDATE SET
       data = excluded.data, version = excluded.version,
       update_time_ms = excluded.update_time_ms, size_bytes = excluded.size_bytes, num_keys = excluded.num_keys,
       commit_ts = excluded.commit_ts`;

/** Inserts a document's row or replaces its contents (keeping create_time_ms). */
export const UPSERT_DOCUMENT_SQL = `INSERT INTO documents (collection, id, data, version, create_time_ms, update_time_ms, size_bytes, num_keys, commit_ts)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ${ON_CONFLICT_REPLACE}`;

/**
 * UPSERT_DOCUMENT_SQL for a run of a plain batch's rows in one statement,
 * in their order (storage/batch-rows.ts: bind `run.bindings([update time
 * in ms, commit timestamp in µs])`). Deletes in the run (null JSON) are
 * skipped. The statement's text never varies, so it is prepared once.
 */
export const UPSERT_DOCUMENTS_SQL = `INSERT INTO documents (collection, id, data, version, create_time_ms, update_time_ms, size_bytes, num_keys, commit_ts)
     SELECT c, i, j, v, t, ?2, b, n, ?3
     FROM ${BATCH_ROWS_SOURCE_SQL} WHERE j IS NOT NULL ORDER BY k
     ${ON_CONFLICT_REPLACE}`;

/** What a stored row holds; `numKeys` is computed from `data` when not given. */
export interface DocumentRowValues {
  readonly collection: string;
  readonly id: string;
  /** The document's JSON text, as encoded by validation/document-data.ts. */
  readonly json: string;
  readonly data: JsonObject;
  readonly version: number;
  readonly createTimeMs: number;
  readonly updateTimeMs: number;
  /** UTF-8 bytes of `json`. */
  readonly bytes: number;
  /** The commit timestamp of the write, in microseconds of the shard's hybrid clock (sync/hybrid-clock.ts). */
  readonly commitTs: number;
  readonly numKeys?: string | null;
}

/** The parameters of UPSERT_DOCUMENT_SQL, in order. */
export function upsertDocumentParams(row: DocumentRowValues): Array<string | number | null> {
  if (!(Number.isSafeInteger(row.commitTs) && row.commitTs >= 0)) throw new Error("invariant broken: a commit timestamp is a whole number of microseconds");
  const numKeys = row.numKeys !== undefined ? row.numKeys : numberKeysJson(row.data);
  return [row.collection, row.id, row.json, row.version, row.createTimeMs, row.updateTimeMs, row.bytes, numKeys, row.commitTs];
}

/**
 * The columns of a stored document as DOCUMENT_ROW_COLUMNS reads them (the
 * `documents` and `doc_history` tables share them). Its values are those of
 * a Durable Object's SQL (SqlStorageValue), named here without the Workers
 * types.
 */
export interface DocumentRow extends Record<string, ArrayBuffer | string | number | null> {
  collection: string;
  id: string;
  data: string;
  version: number;
  create_time_ms: number;
  update_time_ms: number;
}

/** The column list that reads a DocumentRow. */
export const DOCUMENT_ROW_COLUMNS = "collection, id, data, version, create_time_ms, update_time_ms";

/**
 * A `documents` row with its stored size: `size_bytes`, the UTF-8 bytes of
 * its JSON. Byte bounds (SHARD_REPLY_BYTES_MAX) count it: `data.length`
 * counts UTF-16 code units, up to three times fewer than the bytes (a
 * page of "é…" passed its 1 MiB bound at up to 2 MiB, 3 MiB for CJK).
 */
export interface SizedDocumentRow extends DocumentRow {
  size_bytes: number;
}

/** The column list that reads a SizedDocumentRow (of `documents` only: snapshot tables keep no size). */
export const SIZED_DOCUMENT_ROW_COLUMNS = `${DOCUMENT_ROW_COLUMNS}, size_bytes`;

/** The document a row holds (its JSON parsed). */
export function documentOfRow(row: DocumentRow): StoredDocument {
  return {
    collection: row.collection,
    id: row.id,
    data: JSON.parse(row.data) as JsonObject,
    version: row.version,
    createTimeMs: row.create_time_ms,
    updateTimeMs: row.update_time_ms,
  };
}
