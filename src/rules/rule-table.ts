/**
 * Where a database's rules live: one row in its shard manager's SQLite
 * (src/objects/ShardManager.ts), replaced whole by SetRules. Read by Worker
 * isolates through rules-cache.ts.
 */
import type { Migration } from "../storage/schema.js";
import { NO_RULES, type CollectionRuleSource, type StoredRules } from "./rule-set.js";

/** The migrations of the `rules` component of a shard manager. */
export const RULES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "security rules, one row per database",
    statements: [
      `CREATE TABLE security_rules (
         id INTEGER PRIMARY KEY CHECK (id = 1),
         collections TEXT NOT NULL,
         update_time_ms INTEGER NOT NULL
       )`,
    ],
  },
];

interface Row extends Record<string, SqlStorageValue> {
  collections: string;
  update_time_ms: number;
}

/** The stored rules, or NO_RULES. */
export function readRules(sql: SqlStorage): StoredRules {
  const row = sql.exec<Row>("SELECT collections, update_time_ms FROM security_rules WHERE id = 1").toArray()[0];
  if (row === undefined) return NO_RULES;
  return { collections: JSON.parse(row.collections) as CollectionRuleSource[], updateTimeMs: row.update_time_ms };
}

/** Replaces the stored rules (already checked by checkRuleSet) and returns them. */
export function writeRules(sql: SqlStorage, collections: readonly CollectionRuleSource[], nowMs: number): StoredRules {
  const plain = collections.map((c) => ({ collection: c.collection, read: c.read, write: c.write }));
  sql.exec("INSERT OR REPLACE INTO security_rules (id, collections, update_time_ms) VALUES (1, ?, ?)", JSON.stringify(plain), nowMs);
  return { collections: plain, updateTimeMs: nowMs };
}
