/**
 * Schemas as numbered lists of migrations, applied once each, in order, when
 * an object starts. Each subsystem that keeps tables in an object (documents,
 * indexes, transactions, routing) owns its own list, recorded under its own
 * name, so subsystems evolve without renumbering each other. Never edit a
 * migration that has shipped; append a new one.
 */

import { numberKeysJson } from "../query/number-key.js";
import { rowidRebuildMigration } from "./rowid-rebuild.js";

/**
 * One schema change. `version` is its position in the list, from 1. `run`,
 * when present, runs after the statements, for a change SQL alone cannot
 * make (computing a column in JavaScript); it must be bounded by the data
 * it walks and leave the schema as the statements describe.
 */
export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly statements: readonly string[];
  readonly run?: (sql: MigrationSql) => void;
}

/** Rows per page when a migration walks the documents table. */
const MIGRATION_PAGE_ROWS = 500;

/** The migrations of a shard's document tables. */
export const DOCUMENT_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "documents keyed by (collection, id)",
    statements: [
      // The primary key is the collection index: listing or querying one
      // collection is a range search on it and never reads another's rows.
      `CREATE TABLE documents (
         collection TEXT NOT NULL,
         id TEXT NOT NULL,
         data TEXT NOT NULL,
         version INTEGER NOT NULL CHECK (version > 0),
         create_time_ms INTEGER NOT NULL,
         update_time_ms INTEGER NOT NULL,
         size_bytes INTEGER NOT NULL,
         PRIMARY KEY (collection, id)
       ) WITHOUT ROWID`,
      // The shard's write sequence. Every write takes the next number as the
      // document's version, so a version is never reused, not even after a
      // delete and re-create (no ABA for read validation).
      `CREATE TABLE shard_sequence (
         singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
         last_version INTEGER NOT NULL
       )`,
      "INSERT INTO shard_sequence (singleton, last_version) VALUES (1, 0)",
    ],
  },
  {
    version: 2,
    description: "num_keys: order-preserving keys of every number, so SQL never compares a number's decimal text",
    statements: ["ALTER TABLE documents ADD COLUMN num_keys TEXT"],
    run: backfillNumberKeys,
  },
  {
    version: 3,
    description: "collection_stats: documents per collection, kept by triggers in every write's transaction",
    statements: [
      `CREATE TABLE collection_stats (
         collection TEXT PRIMARY KEY,
         document_count INTEGER NOT NULL CHECK (document_count > 0)
       ) WITHOUT ROWID`,
      "INSERT INTO collection_stats (collection, document_count) SELECT collection, COUNT(*) FROM documents GROUP BY collection",
      // Triggers, not code in the write path: every writer (plain writes,
      // transactions, DeleteCollection) keeps the counts without knowing.
      // An upsert that updates an existing row fires UPDATE triggers, not
      // INSERT ones, so only a new document counts.
      `CREATE TRIGGER collection_stats_insert AFTER INSERT ON documents BEGIN
         INSERT INTO collection_stats (collection, document_count) VALUES (new.collection, 1)
           ON CONFLICT (collection) DO UPDATE SET document_count = document_count + 1;
       END`,
      `CREATE TRIGGER collection_stats_delete AFTER DELETE ON documents BEGIN
         DELETE FROM collection_stats WHERE collection = old.collection AND document_count <= 1;
         UPDATE collection_stats SET document_count = document_count - 1 WHERE collection = old.collection;
       END`,
    ],
  },
  {
    version: 4,
    description: "collection_stats.data_bytes: document bytes per collection, kept by triggers, so a shard's totals are never a scan",
    statements: [
      // ListShards, GetResharding's split advice and a resharding's count
      // read a shard's totals; summing size_bytes over `documents` read
      // every row of the shard each time (a 10 GB scan per call at the
      // limit, and every GetResharding poll scanned every shard).
      "ALTER TABLE collection_stats ADD COLUMN data_bytes INTEGER NOT NULL DEFAULT 0",
      "UPDATE collection_stats SET data_bytes = (SELECT COALESCE(SUM(size_bytes), 0) FROM documents WHERE documents.collection = collection_stats.collection)",
      "DROP TRIGGER collection_stats_insert",
      "DROP TRIGGER collection_stats_delete",
      `CREATE TRIGGER collection_stats_insert AFTER INSERT ON documents BEGIN
         INSERT INTO collection_stats (collection, document_count, data_bytes) VALUES (new.collection, 1, new.size_bytes)
           ON CONFLICT (collection) DO UPDATE SET document_count = document_count + 1, data_bytes = data_bytes + new.size_bytes;
       END`,
      `CREATE TRIGGER collection_stats_delete AFTER DELETE ON documents BEGIN
         DELETE FROM collection_stats WHERE collection = old.collection AND document_count <= 1;
         UPDATE collection_stats SET document_count = document_count - 1, data_bytes = data_bytes - old.size_bytes WHERE collection = old.collection;
       END`,
      // An upsert that finds the row updates it (UPDATE triggers), and a
      // document's collection never changes (it is in the primary key).
      `CREATE TRIGGER collection_stats_resize AFTER UPDATE OF size_bytes ON documents WHEN new.size_bytes <> old.size_bytes BEGIN
         UPDATE collection_stats SET data_bytes = data_bytes + new.size_bytes - old.size_bytes WHERE collection = new.collection;
       END`,
    ],
  },
  // Documents longer than about 1 KB spilled onto a page each and slowed
  // every primary-key search (storage/rowid-rebuild.ts).
  rowidRebuildMigration(5, ["documents"]),
];

/** Computes `num_keys` for every stored document, a page at a time in primary-key order. */
function backfillNumberKeys(sql: MigrationSql): void {
  let after: { collection: string; id: string } | null = null;
  for (;;) {
    const rows = (
      after === null
        ? sql.exec("SELECT collection, id, data FROM documents ORDER BY collection, id LIMIT ?", MIGRATION_PAGE_ROWS)
        : sql.exec(
            "SELECT collection, id, data FROM documents WHERE (collection, id) > (?, ?) ORDER BY collection, id LIMIT ?",
            after.collection, after.id, MIGRATION_PAGE_ROWS,
          )
    ).toArray() as Array<{ collection: string; id: string; data: string }>;
    for (const row of rows) {
      const keys = numberKeysJson(JSON.parse(row.data) as Parameters<typeof numberKeysJson>[0]);
      sql.exec("UPDATE documents SET num_keys = ? WHERE collection = ? AND id = ?", keys, row.collection, row.id);
    }
    if (rows.length < MIGRATION_PAGE_ROWS) return;
    after = rows[rows.length - 1]!;
  }
}

/** The narrow slice of SqlStorage that migrations need. */
export interface MigrationSql {
  exec(query: string, ...bindings: unknown[]): { toArray(): unknown[] };
}

/**
 * Applies every migration of `component` newer than its recorded version.
 * Call it inside `transactionSync` so a failed migration leaves no partial
 * schema. Returns the component's version after migrating.
 */
export function migrate(sql: MigrationSql, component: string, migrations: readonly Migration[]): number {
  assertNumbered(migrations);
  sql.exec(
    `CREATE TABLE IF NOT EXISTS schema_migrations (
       component TEXT NOT NULL, version INTEGER NOT NULL, description TEXT NOT NULL,
       PRIMARY KEY (component, version)
     )`,
  );
  const rows = sql.exec("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations WHERE component = ?", component).toArray() as Array<{ v: number }>;
  const current = rows[0]?.v ?? 0;
  if (current > migrations.length) {
    throw new Error(`${component} schema version ${current} is newer than this code knows (${migrations.length}); refusing to run`);
  }
  for (const m of migrations.slice(current)) {
    for (const statement of m.statements) sql.exec(statement);
    m.run?.(sql);
    sql.exec("INSERT INTO schema_migrations (component, version, description) VALUES (?, ?, ?)", component, m.version, m.description);
  }
  return migrations.length;
}

/** The number of migrations applied to an object, over all its components. */
export function appliedMigrationCount(sql: MigrationSql): number {
  const rows = sql.exec("SELECT COUNT(*) AS n FROM schema_migrations").toArray() as Array<{ n: number }>;
  return rows[0]?.n ?? 0;
}

function assertNumbered(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration at position ${i + 1} says version ${m.version}`);
  });
}
