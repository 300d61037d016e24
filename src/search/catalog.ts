/**
 * A shard's search index catalog (component "search" of the shard's
 * migrations): at most one search index per collection, its definition and
 * its state on this shard (`creating` until the shard's backfill is done,
 * then `ready`), the queue of documents whose index entries are stale, and
 * the triggers that fill that queue on every write to `documents`.
 *
 * The triggers are the maintenance choke point (see README.md): every path
 * that writes a document row (single writes, batches, transaction commits,
 * DeleteCollection, live resharding's staging, promotion, release and
 * discard) goes through SQL on `documents`, so no writer can forget the
 * search index. Tokenizing needs JavaScript, so the triggers only queue the
 * (collection, id); `search-maintenance.ts` indexes the queued documents.
 */
import type { Migration } from "../storage/schema.js";
import type { SqlValue } from "../query/sql-value.js";

/** The migrations of a shard's search tables, recorded as component "search". */
export const SEARCH_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "search index catalog, the queue of stale documents kept by triggers, text statistics",
    statements: [
      `CREATE TABLE search_indexes (
         collection TEXT PRIMARY KEY,
         spec TEXT NOT NULL,
         state TEXT NOT NULL CHECK (state IN ('creating', 'ready'))
       ) WITHOUT ROWID`,
      `CREATE TABLE search_pending (
         collection TEXT NOT NULL,
         id TEXT NOT NULL,
         PRIMARY KEY (collection, id)
       ) WITHOUT ROWID`,
      // The documents in a collection's FTS5 table: FTS5 keys rows by an
      // integer, documents are keyed by (collection, id).
      `CREATE TABLE search_text_docs (
         row_id INTEGER PRIMARY KEY,
         collection TEXT NOT NULL,
         id TEXT NOT NULL,
         token_count INTEGER NOT NULL,
         UNIQUE (collection, id)
       )`,
      // BM25's N and the total tokens, kept as running totals in the same
      // transaction as the index rows, so a statistics pass reads one row;
      // `generation` changes with every change of the text index (it keys
      // the shard's in-memory vocabulary cache, vocabulary-cache.ts).
      `CREATE TABLE search_text_stats (
         collection TEXT PRIMARY KEY,
         doc_count INTEGER NOT NULL CHECK (doc_count >= 0),
         token_total INTEGER NOT NULL CHECK (token_total >= 0),
         generation INTEGER NOT NULL
       ) WITHOUT ROWID`,
      // Only collections with a search index pay for the queue: the WHEN
      // clause is one primary-key probe of a small table.
      `CREATE TRIGGER search_pending_insert AFTER INSERT ON documents
         WHEN EXISTS (SELECT 1 FROM search_indexes WHERE collection = new.collection) BEGIN
         INSERT INTO search_pending (collection, id) VALUES (new.collection, new.id) ON CONFLICT DO NOTHING;
       END`,
      `CREATE TRIGGER search_pending_update AFTER UPDATE ON documents
         WHEN EXISTS (SELECT 1 FROM search_indexes WHERE collection = new.collection) BEGIN
         INSERT INTO search_pending (collection, id) VALUES (new.collection, new.id) ON CONFLICT DO NOTHING;
       END`,
      `CREATE TRIGGER search_pending_delete AFTER DELETE ON documents
         WHEN EXISTS (SELECT 1 FROM search_indexes WHERE collection = old.collection) BEGIN
         INSERT INTO search_pending (collection, id) VALUES (old.collection, old.id) ON CONFLICT DO NOTHING;
       END`,
    ],
  },
  {
    version: 2,
    description: "text index compaction: when each collection's text index last changed and the generation it was last compacted at",
    statements: [
      // compaction.ts: the alarm merges a text index's FTS5 segments into
      // one once it has been unchanged for SEARCH_COMPACT_IDLE_MS. NULL
      // changed_ms (an index from before): due at once.
      "ALTER TABLE search_text_stats ADD COLUMN changed_ms INTEGER",
      "ALTER TABLE search_text_stats ADD COLUMN compacted_generation INTEGER",
    ],
  },
  {
    version: 3,
    description: "array elements apart in the text index: documents indexed before the gap token are queued to be indexed again",
    statements: [
      // text-index.ts puts ELEMENT_GAP_TOKEN between an array's elements so
      // a phrase cannot run across two of them; entries written before
      // joined them directly and would still match such a phrase. Every
      // document of a text-indexed collection whose JSON holds a '[' (a
      // superset of those with an array in an indexed field) is queued;
      // maintenance re-indexes it, and every search pass drains its
      // collection's queue first, so no search answers from an old entry.
      `INSERT INTO search_pending (collection, id)
         SELECT d.collection, d.id FROM documents AS d
         WHERE d.collection IN (SELECT collection FROM search_text_stats) AND instr(d.data, '[') > 0
         ON CONFLICT DO NOTHING`,
    ],
  },
];

/** A text field of a search index: a formatted field path and its BM25 weight. */
export interface SearchTextFieldSpec {
  readonly field: string;
  readonly weight: number;
}

/** A search index as shards store it. */
export interface SearchIndexSpec {
  readonly collection: string;
  readonly textFields: readonly SearchTextFieldSpec[];
  /** The formatted path of the geo point field; null for a text-only index. */
  readonly geoField: string | null;
}

/** A search index's state on one shard. */
export type SearchShardState = "creating" | "ready";

/** The narrow SQL surface search needs (SqlStorage in a shard, node:sqlite in tests). */
export interface SearchSql {
  exec<T extends Record<string, SqlValue>>(query: string, ...bindings: unknown[]): Iterable<T> & {
    toArray(): T[];
    readonly rowsRead?: number;
    /** The rows as arrays of values in column order (a Durable Object's cursor has it: no object built per row). */
    raw?(): Iterable<SqlValue[]>;
  };
}

interface CatalogRow extends Record<string, SqlValue> {
  collection: string;
  spec: string;
  state: string;
}

/** Two definitions are the same index (CreateSearchIndex again is then idempotent). */
export function sameSpec(a: SearchIndexSpec, b: SearchIndexSpec): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The collection's search index on this shard, or null. */
export function readSearchIndex(sql: SearchSql, collection: string): { spec: SearchIndexSpec; state: SearchShardState } | null {
  const row = sql.exec<CatalogRow>("SELECT collection, spec, state FROM search_indexes WHERE collection = ?", collection).toArray()[0];
  if (row === undefined) return null;
  return { spec: JSON.parse(row.spec) as SearchIndexSpec, state: row.state as SearchShardState };
}

/** A collection's search index as a search pass first reads it (readSearchState). */
export interface SearchState {
  readonly spec: SearchIndexSpec;
  readonly state: SearchShardState;
  /** Documents of the collection wait in search_pending to be indexed. */
  readonly pending: boolean;
  /** The text part's N, total tokens and generation (text-index.ts textTotals); stale while `pending`. */
  readonly totals: { readonly documents: number; readonly tokens: number; readonly generation: number };
  /** The table named by readSearchState's `instanceTable` exists (text-index.ts instanceTableName); false when none was named. */
  readonly instanceTable: boolean;
}

/**
 * The collection's search index on this shard (null when none), whether
 * documents wait to be indexed, the text totals, and whether the table
 * `instanceTable` exists (the scoring pass's fts5vocab instance table,
 * created lazily; null: not asked), in ONE statement: a search pass on
 * every shard asked for them in four (each statement a call into SQLite
 * with its own fixed cost).
 */
export function readSearchState(sql: SearchSql, collection: string, instanceTable: string | null = null): SearchState | null {
  const row = sql
    .exec<CatalogRow & { pending: number; doc_count: number | null; token_total: number | null; generation: number | null; instances: number }>(
      "SELECT i.collection, i.spec, i.state, EXISTS (SELECT 1 FROM search_pending AS p WHERE p.collection = i.collection) AS pending, " +
        "s.doc_count, s.token_total, s.generation, " +
        "(? IS NOT NULL AND EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?)) AS instances " +
        "FROM search_indexes AS i LEFT JOIN search_text_stats AS s ON s.collection = i.collection WHERE i.collection = ?",
      instanceTable, instanceTable, collection,
    )
    .toArray()[0];
  if (row === undefined) return null;
  return {
    spec: JSON.parse(row.spec) as SearchIndexSpec,
    state: row.state as SearchShardState,
    pending: row.pending !== 0,
    totals: { documents: row.doc_count ?? 0, tokens: row.token_total ?? 0, generation: row.generation ?? -1 },
    instanceTable: row.instances !== 0,
  };
}

/** Every search index on this shard, with whether its text index is compacted (compaction.ts; true for a geo-only index). */
export function listSearchIndexes(sql: SearchSql): Array<{ spec: SearchIndexSpec; state: SearchShardState; compacted: boolean }> {
  return sql
    .exec<CatalogRow & { compacted: number }>(
      "SELECT i.collection, i.spec, i.state, (s.collection IS NULL OR s.compacted_generation IS s.generation) AS compacted " +
        "FROM search_indexes AS i LEFT JOIN search_text_stats AS s ON s.collection = i.collection ORDER BY i.collection",
    )
    .toArray()
    .map((row) => ({ spec: JSON.parse(row.spec) as SearchIndexSpec, state: row.state as SearchShardState, compacted: row.compacted !== 0 }));
}

/** Records a new index (state creating). */
export function insertSearchIndex(sql: SearchSql, spec: SearchIndexSpec): void {
  sql.exec("INSERT INTO search_indexes (collection, spec, state) VALUES (?, ?, 'creating')", spec.collection, JSON.stringify(spec));
}

/** Marks the index ready on this shard. */
export function markSearchIndexReady(sql: SearchSql, collection: string): void {
  sql.exec("UPDATE search_indexes SET state = 'ready' WHERE collection = ?", collection);
}

/** Removes the catalog row and the collection's queued documents. */
export function deleteSearchIndexRow(sql: SearchSql, collection: string): void {
  sql.exec("DELETE FROM search_pending WHERE collection = ?", collection);
  sql.exec("DELETE FROM search_indexes WHERE collection = ?", collection);
}

/** Queues every document of the collection (the backfill). */
export function queueCollection(sql: SearchSql, collection: string): void {
  sql.exec("INSERT INTO search_pending (collection, id) SELECT collection, id FROM documents WHERE collection = ? ON CONFLICT DO NOTHING", collection);
}

/** Whether documents of the collection wait to be indexed. */
export function hasPending(sql: SearchSql, collection: string): boolean {
  return sql.exec<{ one: number }>("SELECT 1 AS one FROM search_pending WHERE collection = ? LIMIT 1", collection).toArray().length > 0;
}
