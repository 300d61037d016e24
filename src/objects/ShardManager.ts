/**
 * The shard manager: the one Durable Object that owns the versioned routing
 * table. Workers cache the table with its version and come back here when
 * their copy expires. Placement and rebalancing will publish new versions
 * here; the logic lives in `src/routing/`.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.js";
import { clusterConfig } from "../env.js";
import { migrate } from "../storage/schema.js";
import { SHARD_MANAGER_MIGRATIONS, latestTable, publishTable, type PublishedRoutingTable } from "../routing/routing-table-store.js";
import { createInitialRoutingTable, createShardRouter } from "../routing/router.js";

/** The name of the single shard-manager object. */
export const SHARD_MANAGER_NAME = "shard-manager";

export class ShardManager extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.transactionSync(() => migrate(ctx.storage.sql, "routing", SHARD_MANAGER_MIGRATIONS));
  }

  /**
   * The current routing table. A new database gets its first table from the
   * SHARD_COUNT and VIRTUAL_NODES_PER_SHARD vars.
   */
  routingTable(): PublishedRoutingTable {
    const sql = this.ctx.storage.sql;
    return this.ctx.storage.transactionSync(() => {
      const existing = latestTable(sql);
      if (existing !== null) return existing;
      const config = clusterConfig(this.env);
      const initial = createInitialRoutingTable(config.shardCount, config.virtualNodesPerShard);
      createShardRouter(initial); // Refuses an invalid table before it is published.
      return publishTable(sql, initial.shards, initial.virtualNodesPerShard, Date.now());
    });
  }
}
