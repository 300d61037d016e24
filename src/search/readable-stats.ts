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
 * callers, and bounded by SEARCH_RULE_BOUND_INDEX_DOCUMENTS_MAX.
 *
 * What a rule-bound search reports must not depend on hidden documents
 * either: its refusals, its typo decisions and the rows read Explain and
 * the QUERY_ROWS_READ_MAX budget count. So the rows read these functions
 * return count only rows of readable documents: the hidden rows a shard
 * also steps over are real work, bounded by the collection-size limit
 * above, but reporting them would count hidden documents.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { SQL_EXPR_DEPTH_MAX, SQL_PARAMS_MAX, SQL_STATEMENT_BYTES_MAX } from "../limits.js";
import { matches } from "../query/evaluate.js";
import { MATCH_ALL } from "../query/expression.js";
import { filterToSql } from "../query/sql-filter.js";
import { ruleFiltered } from "../query/shard-query.js";
import { documentCheck, type ShardReadRule } from "../rules/read-rule.js";
import { failure, type Failure } from "../errors.js";
import type { SearchSql, SearchTextFieldSpec } from "./catalog.js";
import { SEARCH_RULE_BOUND_INDEX_DOCUMENTS_MAX } from "./limits.js";
import { ftsColumn, ftsTableName, textTotals } from "./text-index.js";
import { geoTableNames, geoTablesExist } from "./geo/geo-sql.js";
import { editDistance, type Variant } from "./typo.js";
import { NOT_MOVED_SQL } from "../routing/moved.js";

/**
 * Which documents of the collection a shard's search counts: those `rule`
 * admits (null: no rule), leaving out with `excludeMoved` the rows a source
 * releasing its moved documents after a resharding's cutover no longer owns
 * (routing/moved.ts NOT_MOVED_SQL; the target answers for them). Either way
 * the shard answers exactly as one holding only those documents would.
 */
export interface ReadableScope {
  readonly rule: ShardReadRule | null;
  readonly excludeMoved: boolean;
}

/** The scope of a shard's search request, or null when it counts every document (no rule, nothing moved away). */
export function readableScope(req: { readonly rule?: ShardReadRule | null; readonly excludeMoved?: boolean }): ReadableScope | null {
  const rule = req.rule ?? null;
  const excludeMoved = req.excludeMoved === true;
  return rule === null && !excludeMoved ? null : { rule, excludeMoved };
}

/** The statement's own bytes and nesting around the rule's SQL. */
const FRAME_BYTES = 400;
const FRAME_DEPTH = 3;

/** The text index rows a caller may read: FTS5 rowid -> the document's tokens. */
export interface ReadableRows {
  readonly rows: ReadonlyMap<number, number>;
  /** The ids of those documents. */
  readonly ids: ReadonlySet<string>;
  /** Rows of readable documents read: one per readable document (hidden ones stepped over are not counted). */
  readonly rowsRead: number;
}

/**
 * RESOURCE_EXHAUSTED when the collection's text index on this shard holds
 * more than SEARCH_RULE_BOUND_INDEX_DOCUMENTS_MAX documents, else null: a
 * rule-bound search reads them all. Decided from the index's size alone,
 * before anything the query names is read.
 */
export function ruleBoundRefusal(sql: SearchSql, collection: string): Failure | null {
  return indexTooLarge(collection, textTotals(sql, collection).documents);
}

function indexTooLarge(collection: string, documents: number): Failure | null {
  if (documents <= SEARCH_RULE_BOUND_INDEX_DOCUMENTS_MAX) return null;
  return failure(
    "resource_exhausted",
    `a search under read rules reads every indexed document of the collection on each shard, and ${collection} holds more than SEARCH_RULE_BOUND_INDEX_DOCUMENTS_MAX (${SEARCH_RULE_BOUND_INDEX_DOCUMENTS_MAX}) on one shard; ask an admin of the database to search it, or split the collection`,
  );
}

/**
 * RESOURCE_EXHAUSTED when the collection's geo index on this shard holds
 * more than SEARCH_RULE_BOUND_INDEX_DOCUMENTS_MAX places, else null: a
 * rule-bound near/within reads every entry of its region, hidden ones
 * included (with text too, where the geo index may hold documents the text
 * index does not). Decided from the index's size alone.
 */
export function geoRuleBoundRefusal(sql: SearchSql, collection: string): Failure | null {
  if (!geoTablesExist(sql, collection)) return null;
  const points = geoTableNames(collection).points;
  return indexTooLarge(collection, sql.exec<{ n: number }>(`SELECT count(*) AS n FROM "${points}"`).toArray()[0]!.n);
}

/** The scope as SQL over `documents` (the rule's claims substituted; the moved rows left out), and what is left to check per document. */
function scopeAsSql(scope: ReadableScope) {
  const where = ruleFiltered(MATCH_ALL, scope.rule);
  const ruleSql = filterToSql(where, { paramsMax: SQL_PARAMS_MAX - 2, bytesMax: SQL_STATEMENT_BYTES_MAX - FRAME_BYTES - NOT_MOVED_SQL.length, depthMax: SQL_EXPR_DEPTH_MAX - FRAME_DEPTH - 1 });
  const filter = scope.excludeMoved ? { ...ruleSql, sql: `(${ruleSql.sql}) AND ${NOT_MOVED_SQL}` } : ruleSql;
  const admits = documentCheck(scope.rule);
  const perDocument = admits !== null || !filter.exact;
  /** True when the document passes what SQL could not say. */
  const passes = (doc: { id: string; data: JsonObject }) => (filter.exact || matches(where, doc)) && (admits === null || admits(doc));
  return { filter, perDocument, passes };
}

/**
 * A geo search's readable documents on this shard (the ids of the geo
 * index's entries whose documents the rule admits), or RESOURCE_EXHAUSTED
 * when the geo index holds more than SEARCH_RULE_BOUND_INDEX_DOCUMENTS_MAX
 * entries: like the text statistics, the entries are all read, and the
 * refusal depends on the index's size alone. Near or within then counts,
 * refuses (GEO_CANDIDATES_PER_SHARD_MAX) and reports rows read over these
 * only (geo/geo-sql.ts `readable`).
 */
export function readableGeoIds(sql: SearchSql, collection: string, scope: ReadableScope): Failure | { readonly ok: true; readonly ids: ReadonlySet<string> } {
  const ids = new Set<string>();
  if (!geoTablesExist(sql, collection)) return { ok: true, ids };
  const points = geoTableNames(collection).points;
  const refused = geoRuleBoundRefusal(sql, collection);
  if (refused !== null) return refused;
  const { filter, perDocument, passes } = scopeAsSql(scope);
  const cursor = sql.exec<{ id: string; data: string | null }>(
    `SELECT d.id AS id, ${perDocument ? "d.data" : "NULL"} AS data FROM "${points}" AS p ` +
      `JOIN (SELECT id, data FROM documents WHERE collection = ? AND (${filter.sql})) AS d ON d.id = p.doc_id`,
    collection,
    ...filter.params,
  );
  for (const row of cursor) {
    if (perDocument && !passes({ id: row.id, data: JSON.parse(row.data!) as JsonObject })) continue;
    ids.add(row.id);
  }
  return { ok: true, ids };
}

/** The rows of the collection's text index whose documents are in `scope` (the rule lets the caller read them; not moved away). */
export function readableRows(sql: SearchSql, collection: string, scope: ReadableScope): ReadableRows {
  const { filter, perDocument, passes } = scopeAsSql(scope);
  const cursor = sql.exec<{ r: number; n: number; id: string; data: string | null }>(
    `SELECT t.row_id AS r, t.token_count AS n, d.id AS id, ${perDocument ? "d.data" : "NULL"} AS data FROM search_text_docs AS t ` +
      `JOIN (SELECT id, data FROM documents WHERE collection = ? AND (${filter.sql})) AS d ON d.id = t.id WHERE t.collection = ?`,
    collection,
    ...filter.params,
    collection,
  );
  const rows = new Map<number, number>();
  const ids = new Set<string>();
  for (const row of cursor) {
    if (perDocument && !passes({ id: row.id, data: JSON.parse(row.data!) as JsonObject })) continue;
    rows.set(row.r, row.n);
    ids.add(row.id);
  }
  return { rows, ids, rowsRead: rows.size };
}

/** How many readable documents match an FTS5 expression, and the rows of readable documents read to count them. */
export function readableMatches(sql: SearchSql, collection: string, match: string, readable: ReadableRows): { documents: number; rowsRead: number } {
  const table = ftsTableName(collection);
  const cursor = sql.exec<{ r: number }>(`SELECT rowid AS r FROM "${table}" WHERE "${table}" MATCH ?`, match);
  let documents = 0;
  for (const row of cursor) if (readable.rows.has(row.r)) documents++;
  return { documents, rowsRead: documents };
}

/**
 * The words of the readable documents' indexed text, each with the
 * readable documents holding it, read once per search from the FTS5 rows
 * (hidden rows are stepped over). A rule-bound caller's typo variants are
 * chosen from these (see `readableVariants`), so they depend only on what
 * it may read; the caller checks the readable tokens are few enough first
 * (SEARCH_TYPO_READABLE_TOKENS_MAX).
 */
export function readableWords(sql: SearchSql, collection: string, textFields: readonly SearchTextFieldSpec[], readable: ReadableRows): { words: Map<string, number>; rowsRead: number } {
  const table = ftsTableName(collection);
  const columns = textFields.map((_, i) => ftsColumn(i));
  const words = new Map<string, number>();
  let rowsRead = 0;
  for (const row of sql.exec<Record<string, string | number>>(`SELECT rowid AS r, ${columns.join(", ")} FROM "${table}"`)) {
    if (!readable.rows.has(row["r"] as number)) continue;
    rowsRead++;
    const held = new Set<string>();
    for (const c of columns) {
      const text = row[c];
      if (typeof text === "string" && text !== "") for (const word of text.split(" ")) held.add(word);
    }
    for (const word of held) words.set(word, (words.get(word) ?? 0) + 1);
  }
  return { words, rowsRead };
}

/** The readable words within `edits` of `term` (the term itself excluded), with their readable documents; like typo.ts, only words sharing the term's first character. */
export function readableVariants(words: ReadonlyMap<string, number>, term: string, edits: number): Variant[] {
  const first = term.codePointAt(0);
  const near: Variant[] = [];
  for (const [word, documents] of words) {
    if (word.codePointAt(0) !== first || word === term) continue;
    const d = editDistance(term, word, edits);
    if (d <= edits) near.push({ word, edits: d, documents });
  }
  return near;
}
