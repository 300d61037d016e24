/**
 * Secondary indexes on a shard. An index is a SQLite expression index on
 * `documents(collection, rank(f1), value(f1), rank(f2), value(f2), ...)`,
 * built on exactly the sort-key expressions queries use (`sql-path.ts`), so
 * SQLite's planner matches a query's equality, range and ORDER BY terms to
 * it (for equality and IN the shard names the index: `index-choice.ts`).
 * Because the table's primary key (collection, id) ends every index entry,
 * an index also serves the id tie-breaker.
 *
 * Every shard keeps its own catalog row per index; the Worker creates and
 * drops an index on every shard and calls it READY when all of them have
 * it. An index's id is derived from its definition, so creating it again
 * anywhere is idempotent.
 */
import type { SqlValue } from "./sql-value.js";
import type { Migration } from "../storage/schema.js";
import { formatFieldPath, parseFieldPath, type FieldPath } from "../validation/field-path.js";
import { isIdPath } from "./expression.js";
import { sqlCollectionLiteral, sqlKeyOf } from "./sql-path.js";

/** The migrations of a shard's index catalog, recorded as component "indexes". */
export const INDEX_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "catalog of secondary indexes",
    statements: [
      `CREATE TABLE query_indexes (
         collection TEXT NOT NULL,
         index_id TEXT NOT NULL,
         fields TEXT NOT NULL,
         sql_name TEXT NOT NULL UNIQUE,
         PRIMARY KEY (collection, index_id)
       ) WITHOUT ROWID`,
    ],
  },
  {
    // Run after the documents' migration that adds num_keys (StorageObject
    // migrates documents first), so the rebuilt indexes see the keys.
    version: 2,
    description: "rebuild every index on the sort-key expressions that compare numbers by their num_keys",
    statements: [],
    run: (sql) => rebuildEveryIndex(sql as IndexSql),
  },
  {
    // Typed values (values/README.md) changed the rank and value
    // expressions: eleven ranks, and typed values ranked and compared by
    // their keys in num_keys. No stored document held a typed value before,
    // so the documents need no change; the indexes are rebuilt on the new
    // expressions, or SQLite would no longer match them to queries.
    version: 3,
    description: "rebuild every index on the sort-key expressions of typed values",
    statements: [],
    run: (sql) => rebuildEveryIndex(sql as IndexSql),
  },
  {
    // `documents` became a rowid table (storage/rowid-rebuild.ts, run by
    // the documents' migration 5, before this one). An index on a WITHOUT
    // ROWID table ended with the primary key's `id` by itself, so it
    // served a query's order to its last key (statements order by the
    // index's fields, then id); on a rowid table it ends with the rowid,
    // so the id is now its last column by name.
    version: 4,
    description: "rebuild every index with the document id as its last column",
    statements: [],
    run: (sql) => rebuildEveryIndex(sql as IndexSql),
  },
];

/** Drops and creates every index of the shard again, on today's sort-key expressions (sql-path.ts). */
function rebuildEveryIndex(sql: IndexSql): void {
  for (const spec of listIndexes(sql, null)) {
    sql.exec(`DROP INDEX IF EXISTS "${sqlIndexName(spec)}"`);
    sql.exec(createIndexSql(spec));
  }
}

/** One field of an index. */
export interface IndexFieldSpec {
  readonly path: FieldPath;
  readonly descending: boolean;
}

/** An index definition as shards store it. */
export interface IndexSpec {
  readonly collection: string;
  readonly id: string;
  readonly fields: readonly IndexFieldSpec[];
}

/** The id of an index: a hash of its definition, so equal definitions share it. */
export function indexIdOf(collection: string, fields: readonly IndexFieldSpec[]): string {
  const text = `${collection}\n${fields.map((f) => `${formatFieldPath(f.path)} ${f.descending ? "desc" : "asc"}`).join("\n")}`;
  return `i${fnv1a64(text)}`;
}

/** Why a field cannot be indexed, or null. */
export function indexFieldProblem(path: FieldPath): string | null {
  if (isIdPath(path)) return "the document id is indexed already";
  if (sqlKeyOf(path) === null) return "a field whose name holds a quote or backslash cannot be indexed";
  return null;
}

/** The SQL name of an index; collection names and ids are `[A-Za-z0-9_-]`, so it is safe between double quotes. */
export function sqlIndexName(spec: Pick<IndexSpec, "collection" | "id">): string {
  if (!/^[A-Za-z0-9_-]+$/.test(spec.collection) || !/^i[0-9a-f]{16}$/.test(spec.id)) throw new Error("invariant broken: index names are checked");
  return `qidx__${spec.collection}__${spec.id}`;
}

/** The statement that creates (and backfills) an index. */
export function createIndexSql(spec: IndexSpec): string {
  const columns = spec.fields.map((f) => {
    const key = sqlKeyOf(f.path);
    if (key === null) throw new Error("invariant broken: index fields are checked");
    const dir = f.descending ? " DESC" : "";
    return `${key.rank}${dir}, ${key.value}${dir}`;
  });
  // Partial on its collection: documents of other collections never enter
  // it, so writing them costs nothing here. The id last, ascending, as
  // every statement orders ties (sql-order.ts) and as the primary key's
  // suffix ended each entry while `documents` had no rowid.
  return `CREATE INDEX IF NOT EXISTS "${sqlIndexName(spec)}" ON documents (collection, ${columns.join(", ")}, id) WHERE collection = ${sqlCollectionLiteral(spec.collection)}`;
}

interface CatalogRow extends Record<string, SqlValue> {
  collection: string;
  index_id: string;
  fields: string;
  sql_name: string;
}

/** The narrow SQL surface this module needs. */
export interface IndexSql {
  exec<T extends Record<string, SqlValue>>(query: string, ...bindings: unknown[]): { toArray(): T[] };
}

/** Creates an index on this shard (idempotently) and records it. */
export function createIndex(sql: IndexSql, spec: IndexSpec): void {
  sql.exec(createIndexSql(spec));
  sql.exec(
    "INSERT INTO query_indexes (collection, index_id, fields, sql_name) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
    spec.collection,
    spec.id,
    JSON.stringify(spec.fields.map((f) => [formatFieldPath(f.path), f.descending])),
    sqlIndexName(spec),
  );
}

/** Drops an index from this shard; true when it existed. */
export function dropIndex(sql: IndexSql, collection: string, id: string): boolean {
  const rows = sql.exec<CatalogRow>("SELECT sql_name FROM query_indexes WHERE collection = ? AND index_id = ?", collection, id).toArray();
  const row = rows[0];
  if (row === undefined) return false;
  sql.exec(`DROP INDEX IF EXISTS "${sqlIndexName({ collection, id })}"`);
  sql.exec("DELETE FROM query_indexes WHERE collection = ? AND index_id = ?", collection, id);
  return true;
}

/** The indexes of a collection on this shard (all collections when null). */
export function listIndexes(sql: IndexSql, collection: string | null): IndexSpec[] {
  const rows =
    collection === null
      ? sql.exec<CatalogRow>("SELECT * FROM query_indexes ORDER BY collection, index_id").toArray()
      : sql.exec<CatalogRow>("SELECT * FROM query_indexes WHERE collection = ? ORDER BY index_id", collection).toArray();
  return rows.map(toSpec);
}

/** The index id behind a SQL index name, or null when it is not one of ours. */
export function indexIdForSqlName(sql: IndexSql, sqlName: string): string | null {
  const rows = sql.exec<CatalogRow>("SELECT index_id FROM query_indexes WHERE sql_name = ?", sqlName).toArray();
  return rows[0]?.index_id ?? null;
}

function toSpec(row: CatalogRow): IndexSpec {
  const fields = (JSON.parse(row.fields) as Array<[string, boolean]>).map(([text, descending]) => {
    const parsed = parseFieldPath(text);
    if (!parsed.ok) throw new Error("invariant broken: stored index paths parse");
    return { path: parsed.path, descending };
  });
  return { collection: row.collection, id: row.index_id, fields };
}

function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, "0");
}
