/**
 * The versioned routing table as the shard manager stores it: every version
 * ever published is kept, so a table can be audited and a stale Worker can
 * tell how far behind it is. The first table is written from configuration
 * when the database is new.
 */
import type { RoutingTable } from "./router.js";
import { ROUTING_TABLE_VERSION_INITIAL } from "./router.js";

/** A routing table with the time it was published. */
export interface PublishedRoutingTable extends RoutingTable {
  readonly updateTimeMs: number;
}

/** The shard manager's migrations, in the numbered form `migrate` applies. */
export const SHARD_MANAGER_MIGRATIONS = [
  {
    version: 1,
    description: "versioned routing tables",
    statements: [
      `CREATE TABLE routing_tables (
         version INTEGER PRIMARY KEY,
         shards TEXT NOT NULL,
         virtual_nodes_per_shard INTEGER NOT NULL,
         update_time_ms INTEGER NOT NULL
       )`,
    ],
  },
] as const;

interface Row extends Record<string, SqlStorageValue> {
  version: number;
  shards: string;
  virtual_nodes_per_shard: number;
  update_time_ms: number;
}

/** The newest table, or null when none has been published yet. */
export function latestTable(sql: SqlStorage): PublishedRoutingTable | null {
  const row = sql.exec<Row>("SELECT * FROM routing_tables ORDER BY version DESC LIMIT 1").toArray()[0];
  if (row === undefined) return null;
  return {
    version: row.version,
    shards: JSON.parse(row.shards) as string[],
    virtualNodesPerShard: row.virtual_nodes_per_shard,
    updateTimeMs: row.update_time_ms,
  };
}

/**
 * Publishes `shards` as a new version of the table and returns it: version
 * `version` when given (a resharding's target, which may skip the versions
 * of cancelled ones; it must be above the latest), else the next one.
 */
export function publishTable(sql: SqlStorage, shards: readonly string[], virtualNodesPerShard: number, nowMs: number, version?: number): PublishedRoutingTable {
  const previous = latestTable(sql);
  const next = previous === null ? ROUTING_TABLE_VERSION_INITIAL : previous.version + 1;
  if (version !== undefined && version < next) throw new Error(`invariant broken: table version ${version} published after version ${previous?.version}`);
  version ??= next;
  sql.exec(
    "INSERT INTO routing_tables (version, shards, virtual_nodes_per_shard, update_time_ms) VALUES (?, ?, ?, ?)",
    version, JSON.stringify(shards), virtualNodesPerShard, nowMs,
  );
  return { version, shards: [...shards], virtualNodesPerShard, updateTimeMs: nowMs };
}
