/**
 * The text part of a search index on one shard: a per-collection FTS5 table
 * holding each document's indexed fields PRE-TOKENIZED by our tokenizer
 * (tokens joined by single spaces, one FTS5 column per text field), with
 * `tokenize='ascii'` so FTS5 sees exactly our tokens (it treats every
 * non-ASCII character as part of a token and our tokens hold no ASCII
 * separators). FTS5 is the inverted index: candidate retrieval, prefix
 * lookups (`prefix='2 3'` keeps prefix indexes for 2 and 3 characters) and
 * the vocabulary (`fts5vocab`). The ranking is ours (bm25.ts).
 *
 * `search_text_docs` maps FTS5 rows to documents and keeps each one's token
 * count; `search_text_stats` keeps BM25's N and total tokens as running
 * totals, changed in the same transaction as the rows.
 */
import type { JsonValue, JsonObject } from "@bufbuild/protobuf";
import { parseFieldPath } from "../validation/field-path.js";
import { fieldValue } from "../query/evaluate.js";
import type { SearchIndexSpec, SearchSql } from "./catalog.js";
import { tokenTexts } from "./tokenizer.js";
import { SEARCH_DOCUMENT_TOKENS_MAX } from "./limits.js";

/** The FTS5 table of a collection; collection names are `[A-Za-z0-9_-]`, so it is safe between double quotes. */
export function ftsTableName(collection: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(collection)) throw new Error("invariant broken: collection names are checked");
  return `search_text__${collection}`;
}

/** The fts5vocab table (one row per term, with its document count) of a collection. */
export function vocabTableName(collection: string): string {
  return `${ftsTableName(collection)}__vocab`;
}

/**
 * The fts5vocab table of kind `instance` (one row per token instance:
 * term, document rowid, column, offset) of a collection: sql-scoring.ts
 * reads each phrase's per-document, per-column frequencies from it, so
 * scoring never reads the stored text.
 */
export function instanceTableName(collection: string): string {
  return `${ftsTableName(collection)}__instances`;
}

/**
 * Creates the instance vocabulary of an existing FTS5 table when missing
 * (indexes made before it existed); a virtual table over the FTS5 index,
 * so it holds no rows of its own and costs nothing to keep in step. A
 * scoring pass learns whether it exists by a read, with the index's state
 * (catalog.ts readSearchState): CREATE ... IF NOT EXISTS is a write even
 * when the table exists (it would make the pass commit a transaction).
 */
export function ensureInstanceTable(sql: SearchSql, collection: string): void {
  sql.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS "${instanceTableName(collection)}" USING fts5vocab("${ftsTableName(collection)}", 'instance')`);
}

/** The FTS5 column of the text field at `index`. */
export function ftsColumn(index: number): string {
  return `c${index}`;
}

/** Creates the collection's FTS5 and vocabulary tables (idempotent); nothing for a geo-only index. */
export function createTextTables(sql: SearchSql, spec: SearchIndexSpec): void {
  if (spec.textFields.length === 0) return;
  const table = ftsTableName(spec.collection);
  const columns = spec.textFields.map((_, i) => ftsColumn(i)).join(", ");
  sql.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS "${table}" USING fts5(${columns}, tokenize = 'ascii', prefix = '2 3')`);
  sql.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS "${vocabTableName(spec.collection)}" USING fts5vocab("${table}", 'row')`);
  ensureInstanceTable(sql, spec.collection);
  // A generation no earlier index of the collection had: the time in µs.
  sql.exec("INSERT INTO search_text_stats (collection, doc_count, token_total, generation) VALUES (?, 0, 0, ?) ON CONFLICT DO NOTHING", spec.collection, Date.now() * 1000);
}

/** Drops the collection's text tables, rows and statistics. */
export function dropTextTables(sql: SearchSql, collection: string): void {
  sql.exec(`DROP TABLE IF EXISTS "${vocabTableName(collection)}"`);
  sql.exec(`DROP TABLE IF EXISTS "${instanceTableName(collection)}"`);
  sql.exec(`DROP TABLE IF EXISTS "${ftsTableName(collection)}"`);
  sql.exec("DELETE FROM search_text_docs WHERE collection = ?", collection);
  sql.exec("DELETE FROM search_text_stats WHERE collection = ?", collection);
}

/**
 * The token between two elements of an array field in the stored text, as
 * Elasticsearch's position_increment_gap: a phrase (FTS5 matches a phrase
 * at consecutive positions) never runs from one element into the next, so
 * tags ["open", "source"] do not match "open source". It is one FTS5 token
 * (`tokenize='ascii'` takes every non-ASCII character as a token
 * character) that no search can name: our tokenizer keeps only letters and
 * numbers, and a typo scan reads only words sharing a term's first letter.
 * It is a token like any other to BM25 (FTS5 counts it in the column's
 * length, and so does token_count), so the ranking stays that of one FTS5
 * database over the same stored text (the oracle test's). Indexes built
 * before the gap joined elements directly: catalog.ts's migration 3 queues
 * their documents that may hold an array to be indexed again.
 */
export const ELEMENT_GAP_TOKEN = "\u00b6";

/**
 * The token strings of a document's text fields, one per field: a string
 * field is its tokens; an array is the tokens of its string elements in
 * order, ELEMENT_GAP_TOKEN between two elements that hold tokens; anything
 * else is empty. At most SEARCH_DOCUMENT_TOKENS_MAX tokens over all fields,
 * gaps included (the rest is not indexed, and a gap is never left last).
 */
export function documentColumns(spec: SearchIndexSpec, id: string, data: JsonObject): string[][] {
  let budget = SEARCH_DOCUMENT_TOKENS_MAX;
  return spec.textFields.map((f) => {
    const parsed = parseFieldPath(f.field);
    if (!parsed.ok) throw new Error("invariant broken: stored search paths parse");
    const tokens: string[] = [];
    for (const text of fieldText(fieldValue({ id, data }, parsed.path))) {
      const own = tokenTexts(text);
      if (own.length === 0) continue;
      if (tokens.length > 0) tokens.push(ELEMENT_GAP_TOKEN);
      for (const t of own) tokens.push(t);
    }
    const kept = tokens.slice(0, Math.max(0, budget));
    if (kept[kept.length - 1] === ELEMENT_GAP_TOKEN) kept.pop();
    budget -= kept.length;
    return kept;
  });
}

/** The strings a field value contributes to the index, in order. */
export function fieldText(value: JsonValue | undefined): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  return [];
}

/**
 * Brings one document's text entry in step with its row: removes the old
 * entry, and adds the new one when `data` is not null and holds at least
 * one token (documents without tokens are not in the text index, so N
 * counts the documents that have text).
 */
export function applyText(sql: SearchSql, spec: SearchIndexSpec, id: string, data: JsonObject | null): void {
  if (spec.textFields.length === 0) return;
  const table = ftsTableName(spec.collection);
  const old = sql.exec<{ row_id: number; token_count: number }>(
    "SELECT row_id, token_count FROM search_text_docs WHERE collection = ? AND id = ?", spec.collection, id,
  ).toArray()[0];
  if (old !== undefined) {
    sql.exec(`DELETE FROM "${table}" WHERE rowid = ?`, old.row_id);
    sql.exec("DELETE FROM search_text_docs WHERE row_id = ?", old.row_id);
    sql.exec("UPDATE search_text_stats SET doc_count = doc_count - 1, token_total = token_total - ?, generation = generation + 1 WHERE collection = ?", old.token_count, spec.collection);
  }
  if (data === null) return;
  const columns = documentColumns(spec, id, data);
  const count = columns.reduce((n, c) => n + c.length, 0);
  if (count === 0) return;
  const inserted = sql.exec<{ row_id: number }>(
    "INSERT INTO search_text_docs (collection, id, token_count) VALUES (?, ?, ?) RETURNING row_id", spec.collection, id, count,
  ).toArray()[0]!;
  const names = columns.map((_, i) => ftsColumn(i));
  sql.exec(
    `INSERT INTO "${table}" (rowid, ${names.join(", ")}) VALUES (?, ${names.map(() => "?").join(", ")})`,
    inserted.row_id,
    ...columns.map((c) => c.join(" ")),
  );
  sql.exec("UPDATE search_text_stats SET doc_count = doc_count + 1, token_total = token_total + ?, generation = generation + 1 WHERE collection = ?", count, spec.collection);
}

/** BM25's N and total tokens of the collection on this shard, and the text index's generation. */
export function textTotals(sql: SearchSql, collection: string): { documents: number; tokens: number; generation: number } {
  const row = sql
    .exec<{ doc_count: number; token_total: number; generation: number }>("SELECT doc_count, token_total, generation FROM search_text_stats WHERE collection = ?", collection)
    .toArray()[0];
  return { documents: row?.doc_count ?? 0, tokens: row?.token_total ?? 0, generation: row?.generation ?? -1 };
}
