/**
 * How a plain batch's rows travel into its shared SQL statements (the
 * change log's insert and the documents' upsert, storage/document-store.ts
 * `storePlans`): each run of writes binds ONE small JSON parameter of
 * metadata ([collection, id, version, create_time_ms, bytes, num_keys] per
 * write, read by `json_each`) and each document's JSON as a parameter of its
 * own, picked by its entry's position (BATCH_ROWS_SOURCE_SQL's `j`).
 *
 * Why not the documents inside the JSON parameter, as before: a document's
 * JSON written as a JSON string is escaped by JSON.stringify, then parsed
 * and unescaped again by SQLite's `json_extract` at every reference; in
 * node:sqlite with a shard's schema (1 KB YCSB records, 12 per batch) the
 * change log's batched insert cost 57 µs a document that way against 37 µs
 * for one single-row statement. Bound alone, a document is copied, never
 * parsed. The statement texts never vary (every run binds all
 * SQL_PARAMS_MAX parameters, the unused ones NULL), so workerd's statement
 * cache prepares each once.
 */
import { BATCH_PARAM_UNITS_MAX, SQL_PARAMS_MAX } from "../limits.js";

/**
 * The parameter of a run's first document JSON; ?1 is the metadata JSON and
 * ?2 to ?6 are each statement's own values (commit timestamp and the like).
 */
export const BATCH_ROW_DOC_PARAM_FIRST = 7;

/** The most writes in one run: one bound parameter each after the shared ones. */
export const BATCH_RUN_WRITES_MAX = SQL_PARAMS_MAX - BATCH_ROW_DOC_PARAM_FIRST + 1;

/**
 * A run's rows as a subquery with columns k (position in the run), c
 * (collection), i (id), j (document JSON, NULL for a delete), v (version,
 * NULL for a delete), t (create_time_ms), b (UTF-8 bytes of j, 0 for a
 * delete) and n (num_keys). The CASE picks a row's own parameter: SQL has
 * no way to index parameters, and a CASE over constants costs a few
 * integer comparisons a row.
 */
export const BATCH_ROWS_SOURCE_SQL = `(SELECT key AS k, json_extract(value, '$[0]') AS c, json_extract(value, '$[1]') AS i,
       json_extract(value, '$[2]') AS v, json_extract(value, '$[3]') AS t, COALESCE(json_extract(value, '$[4]'), 0) AS b,
       json_extract(value, '$[5]') AS n,
       CASE key ${Array.from({ length: BATCH_RUN_WRITES_MAX }, (_, k) => `WHEN ${k} THEN ?${BATCH_ROW_DOC_PARAM_FIRST + k}`).join(" ")} END AS j
     FROM json_each(?1))`;

/** One write of a run: a put has its JSON and version; a delete has null for both. */
export interface BatchRow {
  readonly collection: string;
  readonly id: string;
  readonly json: string | null;
  readonly version: number | null;
  readonly createTimeMs: number | null;
  /** UTF-8 bytes of `json` (0 for a delete). */
  readonly bytes: number;
  readonly numKeys: string | null;
}

/** A run of a batch's writes, ready to bind: `bindings(own)` gives a statement's SQL_PARAMS_MAX values. */
export interface BatchRun {
  /** Positions of the run's writes in the batch, in order. */
  readonly indexes: readonly number[];
  /** The run's parameters, with `own` (at most 5 values) as ?2 onwards. */
  bindings(own: ReadonlyArray<string | number | null>): Array<string | number | null>;
}

/**
 * Splits rows, in order, into runs of at most BATCH_RUN_WRITES_MAX writes
 * whose documents hold at most BATCH_PARAM_UNITS_MAX UTF-16 units together
 * (a run always takes one write, however long: its JSON is its own
 * parameter, as a single write binds it), so one statement never binds an
 * unbounded amount of text.
 */
export function batchRuns(rows: readonly BatchRow[]): BatchRun[] {
  const runs: BatchRun[] = [];
  let indexes: number[] = [];
  let units = 0;
  const close = () => {
    if (indexes.length > 0) runs.push(runOf(rows, indexes));
    indexes = [];
    units = 0;
  };
  rows.forEach((row, i) => {
    const length = row.json?.length ?? 0;
    if (indexes.length === BATCH_RUN_WRITES_MAX || (indexes.length > 0 && units + length > BATCH_PARAM_UNITS_MAX)) close();
    indexes.push(i);
    units += length;
  });
  close();
  return runs;
}

function runOf(rows: readonly BatchRow[], indexes: readonly number[]): BatchRun {
  const meta = JSON.stringify(indexes.map((i) => {
    const r = rows[i]!;
    return [r.collection, r.id, r.version, r.createTimeMs, r.bytes, r.numKeys];
  }));
  const docs = indexes.map((i) => rows[i]!.json);
  return {
    indexes,
    bindings(own) {
      if (own.length > BATCH_ROW_DOC_PARAM_FIRST - 2) throw new Error("invariant broken: a batch statement has at most 5 values of its own");
      const values = new Array<string | number | null>(SQL_PARAMS_MAX).fill(null);
      values[0] = meta;
      own.forEach((v, k) => {
        values[1 + k] = v;
      });
      docs.forEach((json, k) => {
        values[BATCH_ROW_DOC_PARAM_FIRST - 1 + k] = json;
      });
      return values;
    },
  };
}
