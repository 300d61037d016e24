/**
 * How the shard manager stores reshardings: one row per operation, its
 * progress as JSON (resharding-plan.ts), the latest by start order. Kept
 * after they finish, so GetResharding can report the last one.
 */
import type { Migration } from "../storage/schema.js";
import type { ReshardingOperation } from "./resharding-plan.js";

/** The "resharding" component of the shard manager's schema. */
export const RESHARDING_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "resharding operations",
    statements: [
      `CREATE TABLE reshardings (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         id TEXT NOT NULL UNIQUE,
         body TEXT NOT NULL
       )`,
    ],
  },
];

/** The latest operation, or null when none was ever started. */
export function latestResharding(sql: SqlStorage): ReshardingOperation | null {
  const row = sql.exec<{ body: string }>("SELECT body FROM reshardings ORDER BY seq DESC LIMIT 1").toArray()[0];
  return row === undefined ? null : (JSON.parse(row.body) as ReshardingOperation);
}

/** Inserts or updates `op`. */
export function saveResharding(sql: SqlStorage, op: ReshardingOperation): void {
  sql.exec("INSERT INTO reshardings (id, body) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body", op.id, JSON.stringify(op));
}

/** Every shard id any operation named (for erasing a database: shards outside the current table may hold data). */
export function reshardingShardIds(sql: SqlStorage): string[] {
  const ids = new Set<string>();
  for (const { body } of sql.exec<{ body: string }>("SELECT body FROM reshardings").toArray()) {
    const op = JSON.parse(body) as ReshardingOperation;
    for (const s of [...op.source.shards, ...op.target.shards]) ids.add(s);
  }
  return [...ids];
}
