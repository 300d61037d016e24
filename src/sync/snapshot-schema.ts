/**
 * The schema of snapshot reads (see snapshot-store.ts): the shard's hybrid
 * clock, each document row's commit timestamp and the table of superseded
 * versions. Free of Workers types, so Node tests build the same tables.
 */
import { rowidRebuildMigration } from "../storage/rowid-rebuild.js";
import type { Migration } from "../storage/schema.js";

/**
 * The tables of the "snapshots" component. It runs after the documents
 * component (it adds a column to `documents`) and has its own numbering, so
 * it never collides with the document schema's own migrations.
 */
export const SNAPSHOT_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "hybrid clock, commit timestamps and superseded versions",
    statements: [
      `CREATE TABLE shard_clock (
         singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
         last_ts INTEGER NOT NULL,
         max_read_ts INTEGER NOT NULL
       )`,
      "INSERT INTO shard_clock (singleton, last_ts, max_read_ts) VALUES (1, 0, 0)",
      // Rows written before this migration count as committed at time 0:
      // they predate every snapshot anyone can still ask for.
      "ALTER TABLE documents ADD COLUMN commit_ts INTEGER NOT NULL DEFAULT 0",
      `CREATE TABLE doc_history (
         collection TEXT NOT NULL,
         id TEXT NOT NULL,
         valid_from_ts INTEGER NOT NULL,
         valid_to_ts INTEGER NOT NULL,
         data TEXT NOT NULL,
         version INTEGER NOT NULL,
         create_time_ms INTEGER NOT NULL,
         update_time_ms INTEGER NOT NULL,
         PRIMARY KEY (collection, id, valid_to_ts)
       ) WITHOUT ROWID`,
      "CREATE INDEX doc_history_by_end ON doc_history (valid_to_ts)",
    ],
  },
  // Each row holds a whole earlier version of a document (storage/rowid-rebuild.ts).
  rowidRebuildMigration(2, ["doc_history"]),
];
