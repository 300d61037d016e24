/**
 * The shard's side of a query: ONE function per request kind that runs on
 * a shard's SQLite database and returns plain data. The Durable Object
 * calls these and nothing else, so the read path can later be wrapped (for
 * example to see a transaction's write intents) in one place.
 *
 * A shard reads its rows in query order with the filter, the cursor and
 * (when the filter is exact in SQL) the limit pushed into one statement.
 * It names the secondary index to read with when the filter pins an index's
 * leading fields by equality or IN (`index-choice.ts` says why SQLite would
 * not pick it alone), and leaves the choice to SQLite otherwise.
 * It stops early: after `limit` matches, at SHARD_REPLY_BYTES_MAX of data,
 * or, failing the query, past its rows-read budget. A caller's read rule
 * (src/rules/) is ANDed into the filter as far as SQL can say it; the rest
 * is evaluated per row in CEL.
 */
import { NOT_MOVED_SQL } from "../routing/moved.js";
import type { SqlValue } from "./sql-value.js";
import type { JsonObject } from "@bufbuild/protobuf";
import type { FailureKind } from "../errors.js";
import { FailureError } from "../errors.js";
import { COLLECTION_NAME_LENGTH_MAX, SHARD_REPLY_BYTES_MAX, SQL_EXPR_DEPTH_MAX, SQL_PARAMS_MAX, SQL_STATEMENT_BYTES_MAX } from "../limits.js";
import type { StoredDocument } from "../storage/types.js";
import type { FieldPath } from "../validation/field-path.js";
import { accumulate, type AggregateSpec, type PartialGroup, type PartialGroups } from "./aggregator.js";
import { matches } from "./evaluate.js";
import { emptySum } from "./fsum.js";
import type { Expr } from "./expression.js";
import { chooseIndex } from "./index-choice.js";
import { indexIdForSqlName, listIndexes, sqlIndexName, type IndexSql } from "./indexes.js";
import type { OrderKey, QueryCursor } from "./order.js";
import { filterToSql, type SqlCondition } from "./sql-filter.js";
import { keyPinnedPaths, orderToSql, rankPinnedPaths } from "./sql-order.js";
import { sqlCollectionLiteral } from "./sql-path.js";
import { allOf } from "./expression.js";
import { documentCheck, type ShardReadRule } from "../rules/read-rule.js";

/** A row cursor, as SqlStorage returns it: iterable, lazily, with SQLite's counters. */
export interface ShardCursor<T> extends Iterable<T> {
  readonly rowsRead: number;
  toArray(): T[];
}

/** The slice of SqlStorage a shard query needs. */
export interface ShardSql extends IndexSql {
  exec<T extends Record<string, SqlValue>>(query: string, ...bindings: unknown[]): ShardCursor<T>;
}

/** A page request to one shard. */
export interface ShardQueryRequest {
  readonly collection: string;
  readonly filter: Expr;
  readonly order: readonly OrderKey[];
  /** Resume strictly after this position; from the start when null. */
  readonly after: QueryCursor | null;
  /** The most documents to return. */
  readonly limit: number;
  /** Fail with RESOURCE_EXHAUSTED once SQLite has read more rows than this. */
  readonly rowsReadMax: number;
  readonly explain: boolean;
  /** The caller's read rule (src/rules/): only documents it allows are returned. */
  readonly rule?: ShardReadRule | null;
}

/** How the shard ran a statement, for Explain. */
export interface ShardExplain {
  readonly sqlPlan: string;
  /** The secondary indexes SQLite used, by index id. */
  readonly indexes: string[];
}

/** A shard's answer to a page request. */
export type ShardQueryResult =
  | {
      readonly ok: true;
      readonly documents: StoredDocument[];
      /** True when the shard may hold more matches after the last one returned. */
      readonly hasMore: boolean;
      readonly rowsRead: number;
      readonly explain: ShardExplain | null;
    }
  | { readonly ok: false; readonly kind: FailureKind; readonly message: string; readonly rowsRead: number };

const utf8 = new TextEncoder();
/** Levels of the WHERE clause around the filter (`collection = ... AND (filter)`), with a margin. */
const FILTER_FRAME_DEPTH = 3;
/** Room for the `INDEXED BY "qidx__<collection>__<id>"` a statement may name (indexes.ts sqlIndexName). */
const INDEXED_BY_BYTES = 40 + COLLECTION_NAME_LENGTH_MAX;
/** Room for the fixed text of a statement around its sort keys and filter. */
const STATEMENT_FRAME_BYTES = 400 + INDEXED_BY_BYTES;

interface Row extends Record<string, SqlValue> {
  id: string;
  data: string;
  version: number;
  create_time_ms: number;
  update_time_ms: number;
  /** The UTF-8 bytes of `data` (SHARD_REPLY_BYTES_MAX counts them; `data.length` counts UTF-16 code units). */
  size_bytes: number;
}

/**
 * Runs one page of a query on a shard. `excludeMoved`: leave out the rows a
 * source releasing a resharding's moved rows no longer owns (shard-epoch.ts
 * NOT_MOVED_SQL).
 */
export function runShardQuery(sql: ShardSql, req: ShardQueryRequest, excludeMoved = false): ShardQueryResult {
  if (!(req.limit > 0 && Number.isInteger(req.limit))) throw new Error("invariant broken: a shard page asks for at least one row");
  const where = ruleFiltered(req.filter, req.rule);
  const admits = documentCheck(req.rule);
  const order = orderToSql(req.order, req.after, rankPinnedPaths(where), keyPinnedPaths(where));
  // The statement spells the sort keys twice (columns, resume condition) around a fixed frame.
  const orderBytes = utf8.encode(order.columns + order.orderBy + order.after.sql).length + STATEMENT_FRAME_BYTES;
  if (orderBytes > SQL_STATEMENT_BYTES_MAX) {
    return { ok: false, kind: "invalid_argument", message: "the sort keys' field paths are too long to query together; sort on fewer or shorter paths", rowsRead: 0 };
  }
  const filter = filterToSql(where, {
    paramsMax: SQL_PARAMS_MAX - order.after.params.length,
    bytesMax: SQL_STATEMENT_BYTES_MAX - orderBytes,
    depthMax: SQL_EXPR_DEPTH_MAX - FILTER_FRAME_DEPTH,
  });
  const sortColumns = order.columns === "" ? "" : `, ${order.columns}`;
  const statement =
    `SELECT id, data, version, create_time_ms, update_time_ms, size_bytes FROM (` +
    `SELECT id, data, version, create_time_ms, update_time_ms, size_bytes${sortColumns} FROM ${documentsTable(sql, req.collection, filter, req.order)} WHERE collection = ${sqlCollectionLiteral(req.collection)} AND (${filter.sql})${excludeMoved ? ` AND ${NOT_MOVED_SQL}` : ""}` +
    `) WHERE ${order.after.sql} ORDER BY ${order.orderBy}` +
    (filter.exact && admits === null ? ` LIMIT ${req.limit + 1}` : "");
  const params = [...filter.params, ...order.after.params];
  const cursor = sql.exec<Row>(statement, ...params);
  const documents: StoredDocument[] = [];
  let bytes = 0;
  let hasMore = false;
  for (const row of cursor) {
    if (cursor.rowsRead > req.rowsReadMax) return overBudget(cursor.rowsRead, req.rowsReadMax);
    const doc = toDocument(req.collection, row);
    if (!filter.exact && !matches(where, doc)) continue;
    if (admits !== null && !admits(doc)) continue;
    if (documents.length === req.limit || bytes >= SHARD_REPLY_BYTES_MAX) {
      hasMore = true;
      break;
    }
    documents.push(doc);
    bytes += row.size_bytes;
  }
  if (cursor.rowsRead > req.rowsReadMax) return overBudget(cursor.rowsRead, req.rowsReadMax);
  const explain = req.explain ? explainStatement(sql, statement, params) : null;
  return { ok: true, documents, hasMore, rowsRead: cursor.rowsRead, explain };
}

/** An aggregation request to one shard. */
export interface ShardAggregationRequest {
  readonly collection: string;
  readonly filter: Expr;
  readonly groupBy: readonly FieldPath[];
  readonly aggregations: readonly AggregateSpec[];
  readonly rowsReadMax: number;
  readonly explain: boolean;
  /** The caller's read rule: only documents it allows are aggregated. */
  readonly rule?: ShardReadRule | null;
}

/** A shard's partial aggregates. */
export type ShardAggregationResult =
  | { readonly ok: true; readonly groups: PartialGroup[]; readonly rowsRead: number; readonly explain: ShardExplain | null }
  | { readonly ok: false; readonly kind: FailureKind; readonly message: string; readonly rowsRead: number };

/** Folds a shard's matching documents into partial aggregates; `excludeMoved` as in runShardQuery. */
export function runShardAggregation(sql: ShardSql, req: ShardAggregationRequest, excludeMoved = false): ShardAggregationResult {
  const expr = ruleFiltered(req.filter, req.rule);
  const admits = documentCheck(req.rule);
  const filter = filterToSql(expr, { paramsMax: SQL_PARAMS_MAX, bytesMax: SQL_STATEMENT_BYTES_MAX - STATEMENT_FRAME_BYTES, depthMax: SQL_EXPR_DEPTH_MAX - FILTER_FRAME_DEPTH });
  const params = filter.params;
  const where = `collection = ${sqlCollectionLiteral(req.collection)} AND (${filter.sql})${excludeMoved ? ` AND ${NOT_MOVED_SQL}` : ""}`;
  const from = documentsTable(sql, req.collection, filter, []);
  const countOnly = filter.exact && admits === null && req.groupBy.length === 0 && req.aggregations.every((a) => a.fn === "count" && a.path === null);
  if (countOnly) {
    // Counting documents needs no row contents: SQLite counts on its own.
    const statement = `SELECT COUNT(*) AS n FROM ${from} WHERE ${where}`;
    const cursor = sql.exec<{ n: number }>(statement, ...params);
    const n = cursor.toArray()[0]?.n ?? 0;
    if (cursor.rowsRead > req.rowsReadMax) return overBudget(cursor.rowsRead, req.rowsReadMax);
    const groups: PartialGroup[] =
      n === 0 ? [] : [{ key: [], keyId: "", accumulators: req.aggregations.map(() => ({ count: n, numbers: 0, sum: emptySum(), doubles: 0, integerSum: 0n, min: undefined, max: undefined })) }];
    return { ok: true, groups, rowsRead: cursor.rowsRead, explain: req.explain ? explainStatement(sql, statement, params) : null };
  }
  const statement = `SELECT id, data FROM ${from} WHERE ${where}`;
  const cursor = sql.exec<{ id: string; data: string }>(statement, ...params);
  const groups: PartialGroups = new Map();
  try {
    for (const row of cursor) {
      if (cursor.rowsRead > req.rowsReadMax) return overBudget(cursor.rowsRead, req.rowsReadMax);
      const doc = { id: row.id, data: JSON.parse(row.data) as JsonObject };
      if (!filter.exact && !matches(expr, doc)) continue;
      if (admits !== null && !admits(doc)) continue;
      accumulate(groups, doc, req.groupBy, req.aggregations);
    }
  } catch (err) {
    if (err instanceof FailureError) return { ok: false, kind: err.kind, message: err.message, rowsRead: cursor.rowsRead };
    throw err;
  }
  if (cursor.rowsRead > req.rowsReadMax) return overBudget(cursor.rowsRead, req.rowsReadMax);
  return { ok: true, groups: [...groups.values()], rowsRead: cursor.rowsRead, explain: req.explain ? explainStatement(sql, statement, params) : null };
}

/**
 * The documents table as a statement reads it: with `INDEXED BY` the index
 * `index-choice.ts` picks for the filter's exact conjuncts and the order,
 * or plain, leaving the choice to SQLite. The index is partial on the
 * collection the statement's WHERE names, so SQLite can always use it. The
 * catalog is read (one small keyed read) only for a filter with a conjunct
 * an index could seek on.
 */
function documentsTable(sql: ShardSql, collection: string, filter: SqlCondition, order: readonly OrderKey[]): string {
  if (filter.exactConjuncts.length === 0) return "documents";
  const index = chooseIndex(listIndexes(sql, collection), filter.exactConjuncts, order);
  return index === null ? "documents" : `documents INDEXED BY "${sqlIndexName(index)}"`;
}

/** The query's filter narrowed by the part of the caller's read rule SQL can say. */
export function ruleFiltered(filter: Expr, rule: ShardReadRule | null | undefined): Expr {
  return rule === null || rule === undefined ? filter : allOf([filter, rule.filter]);
}

function toDocument(collection: string, row: Row): StoredDocument {
  return {
    collection,
    id: row.id,
    data: JSON.parse(row.data) as JsonObject,
    version: row.version,
    createTimeMs: row.create_time_ms,
    updateTimeMs: row.update_time_ms,
  };
}

function overBudget(rowsRead: number, max: number) {
  return {
    ok: false as const,
    kind: "resource_exhausted" as const,
    message: `the query read more than its remaining budget of ${max} rows (QUERY_ROWS_READ_MAX); narrow the filter or add a secondary index that serves it`,
    rowsRead,
  };
}

/** SQLite's plan for `statement`, and the secondary indexes it names. */
function explainStatement(sql: ShardSql, statement: string, params: unknown[]): ShardExplain {
  const rows = sql.exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${statement}`, ...params).toArray();
  // The documents' primary key is a unique index of a rowid table
  // (storage/rowid-rebuild.ts); SQLite names it by its internal name.
  const sqlPlan = rows.map((r) => r.detail.replace(/(?:COVERING )?INDEX sqlite_autoindex_documents_1\b/g, "PRIMARY KEY")).join("\n");
  const indexes = new Set<string>();
  for (const match of sqlPlan.matchAll(/USING (?:COVERING )?INDEX (\S+)/g)) {
    const id = indexIdForSqlName(sql, match[1]!);
    if (id !== null) indexes.add(id);
  }
  return { sqlPlan, indexes: [...indexes] };
}
