/**
 * Search statistics for a caller bound by a read rule (issue 11): N, the
 * total tokens and every document count are computed over the documents
 * the caller may read, never over the whole collection. Otherwise a BM25
 * score (its IDFs) or Explain's per-term document counts would tell the
 * caller how many hidden documents hold a word, and a typo variant found
 * only in hidden documents would show in the compiled query. So a
 * rule-bound caller is scored exactly as by one database holding only its
 * readable documents.
 *
 * The rule is pushed into SQL as queries push it (its SQL part, with the
 * caller's claims substituted); what SQL cannot say is evaluated per
 * document here. This costs a pass over the collection's indexed documents
 * on each shard per search (the running totals of search_text_stats count
 * everyone's documents): the price of not leaking, paid only by rule-bound
 * callers.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { SQL_EXPR_DEPTH_MAX, SQL_PARAMS_MAX, SQL_STATEMENT_BYTES_MAX } from "../limits.js";
import { matches } from "../query/evaluate.js";
import { MATCH_ALL } from "../query/expression.js";
import { filterToSql } from "../query/sql-filter.js";
import { ruleFiltered } from "../query/shard-query.js";
import { documentCheck, type ShardReadRule } from "../rules/read-rule.js";
import type { SearchSql } from "./catalog.js";
import { ftsTableName } from "./text-index.js";

/** The statement's own bytes and nesting around the rule's SQL. */
const FRAME_BYTES = 400;
const FRAME_DEPTH = 3;

/** The text index rows a caller may read: FTS5 rowid -> the document's tokens. */
export interface ReadableRows {
  readonly rows: ReadonlyMap<number, number>;
  readonly rowsRead: number;
}

/** The rows of the collection's text index whose documents `rule` lets the caller read. */
export function readableRows(sql: SearchSql, collection: string, rule: ShardReadRule): ReadableRows {
  const where = ruleFiltered(MATCH_ALL, rule);
  const filter = filterToSql(where, { paramsMax: SQL_PARAMS_MAX - 2, bytesMax: SQL_STATEMENT_BYTES_MAX - FRAME_BYTES, depthMax: SQL_EXPR_DEPTH_MAX - FRAME_DEPTH });
  const admits = documentCheck(rule);
  const perDocument = admits !== null || !filter.exact;
  const cursor = sql.exec<{ r: number; n: number; id: string; data: string | null }>(
    `SELECT t.row_id AS r, t.token_count AS n, d.id AS id, ${perDocument ? "d.data" : "NULL"} AS data FROM search_text_docs AS t ` +
      `JOIN (SELECT id, data FROM documents WHERE collection = ? AND (${filter.sql})) AS d ON d.id = t.id WHERE t.collection = ?`,
    collection,
    ...filter.params,
    collection,
  );
  const rows = new Map<number, number>();
  let read = 0;
  for (const row of cursor) {
    read++;
    if (perDocument) {
      const doc = { id: row.id, data: JSON.parse(row.data!) as JsonObject };
      if (!filter.exact && !matches(where, doc)) continue;
      if (admits !== null && !admits(doc)) continue;
    }
    rows.set(row.r, row.n);
  }
  return { rows, rowsRead: cursor.rowsRead ?? read };
}

/** How many readable documents match an FTS5 expression, and the rows read to count them. */
export function readableMatches(sql: SearchSql, collection: string, match: string, readable: ReadableRows): { documents: number; rowsRead: number } {
  const table = ftsTableName(collection);
  const cursor = sql.exec<{ r: number }>(`SELECT rowid AS r FROM "${table}" WHERE "${table}" MATCH ?`, match);
  let documents = 0;
  let read = 0;
  for (const row of cursor) {
    read++;
    if (readable.rows.has(row.r)) documents++;
  }
  return { documents, rowsRead: cursor.rowsRead ?? read };
}
