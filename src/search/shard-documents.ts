/**
 * A search pass's reads of whole documents on a shard, and of any
 * statement's rows as arrays. In a Durable Object every row a cursor
 * yields as an object is built property by property; `raw()` yields an
 * array of the values instead. Reading a page of 11 documents as arrays
 * took 21-26 µs against 27-41 µs as objects (three runs of a workerd
 * micro-benchmark over one shard of bench/search.ts's corpus, best of 6
 * rounds of 1,500 statements each, 2026-12-02 01:32-01:34 UTC, load 5-6;
 * one run found no difference).
 */
import type { JsonObject } from "@bufbuild/protobuf";
import type { SqlValue } from "../query/sql-value.js";
import type { StoredDocument } from "../storage/types.js";
import type { SearchSql } from "./catalog.js";

/** A statement's rows as arrays of values in column order (objects' values where the SQL has no `raw()`, as node:sqlite in tests). */
export function rawRows(cursor: ReturnType<SearchSql["exec"]>): SqlValue[][] {
  if (cursor.raw !== undefined) return [...cursor.raw()];
  return cursor.toArray().map((row) => Object.values(row));
}

const COLUMNS = "id, data, version, create_time_ms, update_time_ms";

function documentOf(collection: string, row: readonly SqlValue[]): StoredDocument {
  return { collection, id: row[0] as string, data: JSON.parse(row[1] as string) as JsonObject, version: row[2] as number, createTimeMs: row[3] as number, updateTimeMs: row[4] as number };
}

/**
 * The documents of `ids` (indexed ones, so each has a row), in that order,
 * read by ONE statement (ids passed as a JSON array, so the statement's
 * text and its parameter count are the same for every page): a page of ten
 * took ten point reads, each a call into SQLite with its own fixed cost.
 */
export function loadDocuments(sql: SearchSql, collection: string, ids: readonly string[]): StoredDocument[] {
  if (ids.length === 0) return [];
  const rows = new Map<string, StoredDocument>();
  for (const row of rawRows(sql.exec(`SELECT ${COLUMNS} FROM documents WHERE collection = ? AND id IN (SELECT value FROM json_each(?))`, collection, JSON.stringify(ids)))) {
    const doc = documentOf(collection, row);
    rows.set(doc.id, doc);
  }
  return ids.map((id) => {
    const doc = rows.get(id);
    if (doc === undefined) throw new Error("invariant broken: an indexed document has a row");
    return doc;
  });
}

/** One document, or null when it has no row. */
export function loadDocument(sql: SearchSql, collection: string, id: string): StoredDocument | null {
  const row = rawRows(sql.exec(`SELECT ${COLUMNS} FROM documents WHERE collection = ? AND id = ?`, collection, id))[0];
  return row === undefined ? null : documentOf(collection, row);
}
