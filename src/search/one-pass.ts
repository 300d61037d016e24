/**
 * One pass instead of two, when a shard has few candidates (README.md,
 * "Two passes"). Scoring needs the global statistics, so a search asks
 * every shard for its statistics first and for its scored page second:
 * two round trips to every shard, the fixed cost that dominates a rare
 * term. But a shard whose candidates are few can send them all, with what
 * scoring needs (each one's length and per-phrase weighted frequencies,
 * bm25.ts), together with its statistics; the Worker then scores them
 * with the global statistics itself, and only shards with more than
 * SEARCH_ONE_PASS_CANDIDATES_MAX candidates get a second call.
 *
 * The candidates are those of the query compiled WITHOUT typo variants
 * (the variants are chosen from every shard's answer, so a shard cannot
 * know them); when the statistics pass chooses variants the compiled query
 * differs and every shard gets its second call as before. The shard sends
 * only candidates the query's filter and the caller's read rule admit,
 * exactly the documents its scoring pass could return; scores computed in
 * the Worker are bm25.ts's, the same function and order of operations as
 * the shard's own (so the ranking oracle covers them).
 *
 * Each candidate's data goes as the JSON text the shard stores, parsed by
 * the shard only when a filter or a per-document rule must look at it, and
 * by the Worker only for the documents it returns (a page of 10 over 8
 * shards gets up to 256 candidates, of which 10 are answered): a parsed
 * object costs its parse, and a structured clone each way across the RPC.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { matchesEverything, type Expr } from "../query/expression.js";
import { matches } from "../query/evaluate.js";
import { ruleFiltered } from "../query/shard-query.js";
import { documentCheck, type ShardReadRule } from "../rules/read-rule.js";
import type { StoredDocument } from "../storage/types.js";
import type { SqlValue } from "../query/sql-value.js";
import type { SearchSql, SearchTextFieldSpec } from "./catalog.js";
import { rawRows } from "./shard-documents.js";
import type { CompiledNode, CompiledPhrase } from "./compile.js";
import { bm25, createCountFrequencies, createTextFrequencies, isPlainWord } from "./bm25.js";
import { ftsColumn, ftsTableName, instanceTableName } from "./text-index.js";
import type { ReadableRows } from "./readable-stats.js";
import { SEARCH_ONE_PASS_BYTES_MAX, SEARCH_ONE_PASS_CANDIDATES_MAX } from "./limits.js";
import type { WordPosting } from "./vocabulary-cache.js";
import type { SearchCursor } from "./shard-search.js";
import { compareHits } from "./shard-search.js";

/** What a shard needs to answer in one pass: the query compiled without typo variants. */
export interface OnePassRequest {
  readonly match: string;
  readonly tree: CompiledNode;
  readonly phrases: readonly CompiledPhrase[];
  readonly filter: Expr;
  readonly rule?: ShardReadRule | null;
}

/** A candidate of a one-pass answer: a stored document with its data still JSON text. */
export interface OnePassDocument {
  readonly id: string;
  /** The document's data as stored (a JSON object's text). */
  readonly json: string;
  readonly version: number;
  readonly createTimeMs: number;
  readonly updateTimeMs: number;
}

/** A shard's every admitted candidate of the request's query, with what scoring needs. */
export interface OnePassAnswer {
  /** The query compiled without typo variants, as asked. */
  readonly match: string;
  readonly documents: OnePassDocument[];
  /** Per document: its tokens over all text fields (BM25's D). */
  readonly lengths: number[];
  /** Per document: each phrase's counted, weighted frequency (bm25.ts). */
  readonly frequencies: number[][];
  /** The query's candidates on the shard (admitted by the filter or not); for a rule-bound caller, its readable ones only. */
  readonly candidates: number;
}

/**
 * The shard's side: every admitted candidate when there are at most
 * SEARCH_ONE_PASS_CANDIDATES_MAX candidates and their documents hold at
 * most SEARCH_ONE_PASS_BYTES_MAX bytes; null otherwise (the shard then
 * gets a scoring call). `fromInstances`: the query is one plain word, no
 * rule binds the caller and the index's fts5vocab instance table exists,
 * so the candidates and their counts come from it (wordCandidates), or
 * from `postings` kept by an earlier search at the same generation.
 */
export function runOnePass(
  sql: SearchSql,
  collection: string,
  textFields: readonly SearchTextFieldSpec[],
  req: OnePassRequest,
  readable: ReadableRows | null = null,
  fromInstances = false,
  postings: WordPostingsSlot | null = null,
): { answer: OnePassAnswer | null; rowsRead: number } {
  if (fromInstances && (readable !== null || req.phrases.length !== 1 || !isPlainWord(req.phrases[0]!))) {
    throw new Error("invariant broken: only one plain word is read from the instance table, and not for a rule-bound caller");
  }
  const table = ftsTableName(collection);
  // A rule-bound caller's candidates are counted over its readable
  // documents first, so whether a shard answers in one pass never depends
  // on hidden ones. Otherwise the rows are read at once, one past the
  // bound at most: FTS5 evaluates the match once, not once to count and
  // once to read (a phrase's positions are intersected each time).
  const count = readable === null ? 0 : readableCandidatesUpTo(sql, table, req.match, readable);
  if (count > SEARCH_ONE_PASS_CANDIDATES_MAX) return { answer: null, rowsRead: count };
  const kept = fromInstances ? postings?.cached : undefined;
  const rows =
    kept !== undefined
      ? postedCandidates(sql, collection, kept)
      : fromInstances
        ? wordCandidates(sql, collection, textFields.length, req.phrases[0]!.tokens[0]!)
        : matchCandidates(sql, collection, textFields.length, req, readable);
  if (rows.length > SEARCH_ONE_PASS_CANDIDATES_MAX) return { answer: null, rowsRead: rows.length };
  if (fromInstances && kept === undefined && postings !== null) {
    postings.keep(rows.map((r) => ({ rowId: r.rowId, id: r.doc.id, length: r.length, counts: r.counts! })));
  }
  // Rows read as Explain reports them: the same whichever way the candidates were read (kept postings included).
  const rowsRead = count + rows.length * 2;
  const where = ruleFiltered(req.filter, req.rule);
  const admits = documentCheck(req.rule);
  const weights = textFields.map((f) => f.weight);
  const fromTexts = createTextFrequencies(req.tree, req.phrases, weights);
  const fromCounts = createCountFrequencies(req.tree, weights);
  const answer: OnePassAnswer = { match: req.match, documents: [], lengths: [], frequencies: [], candidates: rows.length };
  let bytes = 0;
  for (const row of rows) {
    bytes += row.bytes;
    if (bytes > SEARCH_ONE_PASS_BYTES_MAX) return { answer: null, rowsRead };
    if (!matchesEverything(where) || admits !== null) {
      const stored = storedDocument(collection, row.doc);
      if (!matchesEverything(where) && !matches(where, stored)) continue;
      if (admits !== null && !admits(stored)) continue;
    }
    answer.documents.push(row.doc);
    answer.lengths.push(row.length);
    answer.frequencies.push(row.counts !== null ? fromCounts([row.counts]) : fromTexts(row.texts!));
  }
  return { answer, rowsRead };
}

/** A candidate as read: its document, its length (BM25's D), and its word's instances per column or its token columns. */
interface CandidateRow {
  readonly rowId: number;
  readonly doc: OnePassDocument;
  /** The UTF-8 bytes of the document's JSON (`size_bytes`), which SEARCH_ONE_PASS_BYTES_MAX counts (`json.length` counts UTF-16 code units). */
  readonly bytes: number;
  readonly length: number;
  readonly counts: number[] | null;
  readonly texts: string[] | null;
}

/** The columns every candidate statement reads after the candidate's rowid, in candidateRow's order. */
const DOCUMENT_COLUMNS = "d.id, d.token_count, doc.data, doc.version, doc.create_time_ms, doc.update_time_ms, doc.size_bytes";

/** The joins from a candidate's rowid (`key`) to its length and its document. */
function joinDocuments(key: string): string {
  return `JOIN search_text_docs AS d ON d.row_id = ${key} JOIN documents AS doc ON doc.collection = d.collection AND doc.id = d.id`;
}

function candidateRow(row: readonly SqlValue[], columnCount: number, counted: boolean): CandidateRow {
  const rest = row.slice(8, 8 + columnCount);
  return {
    rowId: row[0] as number,
    doc: { id: row[1] as string, json: row[3] as string, version: row[4] as number, createTimeMs: row[5] as number, updateTimeMs: row[6] as number },
    bytes: row[7] as number,
    length: row[2] as number,
    counts: counted ? rest.map((n) => n as number) : null,
    texts: counted ? null : rest.map(columnText),
  };
}

/**
 * A plain word's candidates (one past SEARCH_ONE_PASS_CANDIDATES_MAX at
 * most) with its instances per column, from the index's fts5vocab instance
 * table: the documents holding the word are exactly those FTS5 matches for
 * it, and its instances in a column are those bm25.ts counts in the
 * column's tokens, so no stored token text is read (FTS5 fetches a
 * matched row's columns from its content table, a lookup per candidate).
 * For bench/search.ts's rare term on one shard of its corpus (13
 * candidates) in a workerd micro-benchmark (best of 6 rounds of 1,500
 * statements, 2026-12-02 01:33 UTC): 55 µs, against 66 µs for the MATCH
 * reading the columns (rows as arrays both) and 79 µs for that MATCH with
 * rows as objects, as before. Grouping by document reads every instance
 * of the word, so the caller uses it only for a word it knows has at most
 * SEARCH_ONE_PASS_CANDIDATES_MAX documents on the shard (shard-search.ts).
 */
function wordCandidates(sql: SearchSql, collection: string, columnCount: number, word: string): CandidateRow[] {
  const columns = Array.from({ length: columnCount }, (_, c) => c);
  const statement =
    `SELECT i.doc, ${DOCUMENT_COLUMNS}, ${columns.map((c) => `i.n${c}`).join(", ")} ` +
    `FROM (SELECT doc, ${columns.map((c) => `sum(col = '${ftsColumn(c)}') AS n${c}`).join(", ")} FROM "${instanceTableName(collection)}" WHERE term = ? GROUP BY doc LIMIT ${SEARCH_ONE_PASS_CANDIDATES_MAX + 1}) AS i ` +
    joinDocuments("i.doc");
  return rawRows(sql.exec(statement, word)).map((row) => candidateRow(row, columnCount, true));
}

/**
 * Where a rare word's postings are kept between searches (the shard's
 * vocabulary cache, at the index's generation): `cached` when kept, and
 * `keep` for postings just read.
 */
export interface WordPostingsSlot {
  readonly cached: readonly WordPosting[] | undefined;
  keep(postings: readonly WordPosting[]): void;
}

/**
 * The candidates of kept postings: their documents read by row in one
 * statement (rows passed as a JSON array, so the statement's text is the
 * same for every word), in the postings' order. The postings were kept at
 * the index's current generation, which every change of a document of the
 * collection moves, so each one's document is there.
 */
function postedCandidates(sql: SearchSql, collection: string, postings: readonly WordPosting[]): CandidateRow[] {
  if (postings.length === 0) return [];
  const docs = new Map<number, { doc: OnePassDocument; bytes: number }>();
  const statement =
    "SELECT d.row_id, d.id, doc.data, doc.version, doc.create_time_ms, doc.update_time_ms, doc.size_bytes FROM search_text_docs AS d " +
    "JOIN documents AS doc ON doc.collection = d.collection AND doc.id = d.id WHERE d.row_id IN (SELECT value FROM json_each(?))";
  for (const row of rawRows(sql.exec(statement, JSON.stringify(postings.map((p) => p.rowId))))) {
    docs.set(row[0] as number, { doc: { id: row[1] as string, json: row[2] as string, version: row[3] as number, createTimeMs: row[4] as number, updateTimeMs: row[5] as number }, bytes: row[6] as number });
  }
  return postings.map((p) => {
    const found = docs.get(p.rowId);
    if (found === undefined || found.doc.id !== p.id) throw new Error(`invariant broken: a kept posting's document ${collection}/${p.id} is in the index`);
    return { rowId: p.rowId, doc: found.doc, bytes: found.bytes, length: p.length, counts: [...p.counts], texts: null };
  });
}

/** The candidates of `req.match` with their token columns; a rule-bound caller's readable ones only (issue 11), else one past the bound at most. */
function matchCandidates(sql: SearchSql, collection: string, columnCount: number, req: OnePassRequest, readable: ReadableRows | null): CandidateRow[] {
  const table = ftsTableName(collection);
  const columns = Array.from({ length: columnCount }, (_, c) => `f.${ftsColumn(c)}`).join(", ");
  const statement =
    `SELECT f.rowid, ${DOCUMENT_COLUMNS}, ${columns} FROM "${table}" AS f ${joinDocuments("f.rowid")} WHERE "${table}" MATCH ?` +
    (readable === null ? ` LIMIT ${SEARCH_ONE_PASS_CANDIDATES_MAX + 1}` : "");
  const rows: CandidateRow[] = [];
  for (const raw of rawRows(sql.exec(statement, req.match))) {
    const row = candidateRow(raw, columnCount, false);
    // A rule-bound caller's hidden candidates are neither sent nor counted (issue 11).
    if (readable === null || readable.rows.has(row.rowId)) rows.push(row);
  }
  return rows;
}

/**
 * A rule-bound caller's readable candidates, up to one past
 * SEARCH_ONE_PASS_CANDIDATES_MAX: whether a shard answers in one pass must
 * not depend on how many hidden documents match (Explain shows it).
 */
function readableCandidatesUpTo(sql: SearchSql, table: string, match: string, readable: ReadableRows): number {
  // Read to the end (a rule-bound caller's index is small: SEARCH_RULE_BOUND_INDEX_DOCUMENTS_MAX):
  // a statement left with rows unread keeps SQLite from dropping tables (shard-search.ts rankInSql).
  let n = 0;
  for (const row of sql.exec<{ r: number }>(`SELECT rowid AS r FROM "${table}" WHERE "${table}" MATCH ?`, match).toArray()) {
    if (readable.rows.has(row.r) && ++n > SEARCH_ONE_PASS_CANDIDATES_MAX) break;
  }
  return n;
}

/** A scored document of a one-pass answer. */
export interface LocalHit {
  readonly doc: StoredDocument;
  readonly score: number;
}

/**
 * The Worker's side: a one-pass answer of `collection` scored with the
 * global statistics, in (score desc, id asc) order. Each document's data
 * is parsed when first read, so only the documents a page returns are.
 */
export function scoreOnePass(answer: OnePassAnswer, collection: string, idfs: readonly number[], averageLength: number): LocalHit[] {
  return answer.documents
    .map((doc, i) => ({ doc: storedDocument(collection, doc), score: bm25(idfs, answer.frequencies[i]!, answer.lengths[i]!, averageLength) }))
    .sort((a, b) => compareHits({ score: a.score, id: a.doc.id }, { score: b.score, id: b.doc.id }));
}

/** A candidate as a stored document whose data is parsed from its JSON text on first read, once. */
function storedDocument(collection: string, doc: OnePassDocument): StoredDocument {
  let data: JsonObject | undefined;
  return {
    collection,
    id: doc.id,
    version: doc.version,
    createTimeMs: doc.createTimeMs,
    updateTimeMs: doc.updateTimeMs,
    get data(): JsonObject {
      return (data ??= JSON.parse(doc.json) as JsonObject);
    },
  };
}

/** A batch of scored hits after `after`, as a shard's scoring pass would send it. */
export function pageOf(hits: readonly LocalHit[], after: SearchCursor | null, limit: number): { documents: StoredDocument[]; scores: number[]; hasMore: boolean } {
  const rest = after === null ? hits : hits.filter((h) => compareHits({ score: h.score, id: h.doc.id }, after) > 0);
  const page = rest.slice(0, limit);
  return { documents: page.map((h) => h.doc), scores: page.map((h) => h.score), hasMore: rest.length > limit };
}

function columnText(text: SqlValue | undefined): string {
  return typeof text === "string" ? text : "";
}
