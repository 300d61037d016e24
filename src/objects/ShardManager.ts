/**
 * The shard manager: the Durable Object that owns a database's versioned
 * routing table. Each database has one, named under it; Workers cache the
 * table with its version and come back here when their copy expires.
 * Placement and rebalancing will publish new versions here; the logic lives
 * in `src/routing/`.
 *
 * It also holds the database's security rules (src/rules/rule-table.ts).
 * The `default` database's shard manager also holds the catalog of
 * databases (src/databases/catalog-store.ts); the catalog methods are only
 * ever called on that one object.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.js";
import { clusterConfig } from "../env.js";
import { failure, type Failure } from "../errors.js";
import { DATABASES_MAX } from "../limits.js";
import { migrate } from "../storage/schema.js";
import { SHARD_MANAGER_MIGRATIONS, latestTable, publishTable, type PublishedRoutingTable } from "../routing/routing-table-store.js";
import { createInitialRoutingTable, createShardRouter } from "../routing/router.js";
import type { Placement } from "../routing/localityManager.js";
import { CATALOG_MIGRATIONS, databaseCount, findDatabase, insertDatabase, listDatabases, markDeleting, removeDatabase, type DatabaseRecord } from "../databases/catalog-store.js";
import { DEFAULT_DATABASE_ID } from "../databases/names.js";
import { assertNotErased, eraseDatabase, isErased } from "./tombstone.js";
import { RULES_MIGRATIONS, readRules, writeRules } from "../rules/rule-table.js";
import type { CollectionRuleSource, StoredRules } from "../rules/rule-set.js";

/** The name of a database's shard-manager object (under the database's scope). */
export const SHARD_MANAGER_NAME = "shard-manager";

export class ShardManager extends DurableObject<Env> {
  private erased: boolean;
  private catalogMigrated = false;
  private rulesMigrated = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.erased = isErased(ctx.storage.sql);
    if (!this.erased) ctx.storage.transactionSync(() => migrate(ctx.storage.sql, "routing", SHARD_MANAGER_MIGRATIONS));
  }

  /**
   * The current routing table. A new database gets its first table from the
   * SHARD_COUNT and VIRTUAL_NODES_PER_SHARD vars.
   */
  routingTable(): PublishedRoutingTable {
    assertNotErased(this.erased);
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

  /** Erases this database's routing table and leaves a tombstone (tombstone.ts). Never called on `default`'s. */
  async eraseDatabase(): Promise<void> {
    await eraseDatabase(this.ctx.storage);
    this.erased = true;
  }

  /** Catalog: records a new database; ALREADY_EXISTS when the id is taken, RESOURCE_EXHAUSTED past DATABASES_MAX. */
  createDatabase(id: string, uid: string, placement: Placement, nowMs: number): { ok: true; record: DatabaseRecord } | Failure {
    const sql = this.catalogSql();
    return this.ctx.storage.transactionSync(() => {
      const existing = findDatabase(sql, id);
      if (existing !== null) {
        return failure("already_exists", existing.state === "deleting" ? `database ${id} is being deleted; call DeleteDatabase again to finish, then create it` : `database ${id} already exists`);
      }
      if (databaseCount(sql) >= DATABASES_MAX) return failure("resource_exhausted", `there are already DATABASES_MAX (${DATABASES_MAX}) databases`);
      const record: DatabaseRecord = { id, uid, placement, createTimeMs: nowMs, state: "active" };
      insertDatabase(sql, record);
      return { ok: true, record };
    });
  }

  /** Catalog: the record of database `id`, or null. */
  getDatabase(id: string): DatabaseRecord | null {
    return findDatabase(this.catalogSql(), id);
  }

  /** Catalog: up to `limit` records after `afterId` (from the first when null), in id order. */
  listDatabases(afterId: string | null, limit: number): DatabaseRecord[] {
    return listDatabases(this.catalogSql(), afterId, limit);
  }

  /** Catalog: marks database `id` DELETING and returns its record; NOT_FOUND, or FAILED_PRECONDITION for `default`. */
  beginDeleteDatabase(id: string): { ok: true; record: DatabaseRecord } | Failure {
    if (id === DEFAULT_DATABASE_ID) return failure("failed_precondition", "the default database cannot be deleted");
    const sql = this.catalogSql();
    return this.ctx.storage.transactionSync(() => {
      const existing = findDatabase(sql, id);
      if (existing === null) return failure("not_found", `database ${id} does not exist`);
      markDeleting(sql, id);
      return { ok: true, record: { ...existing, state: "deleting" } };
    });
  }

  /** Catalog: forgets incarnation `uid` of database `id` once its objects are erased. */
  finishDeleteDatabase(id: string, uid: string): void {
    removeDatabase(this.catalogSql(), id, uid);
  }

  /** The database's security rules (src/rules/); none until set. */
  rules(): StoredRules {
    return readRules(this.rulesSql());
  }

  /** Replaces the database's security rules; the Worker has checked them (rule-set.ts). */
  setRules(collections: readonly CollectionRuleSource[], nowMs: number): StoredRules {
    return writeRules(this.rulesSql(), collections, nowMs);
  }

  private rulesSql(): SqlStorage {
    assertNotErased(this.erased);
    const sql = this.ctx.storage.sql;
    if (!this.rulesMigrated) {
      this.ctx.storage.transactionSync(() => migrate(sql, "rules", RULES_MIGRATIONS));
      this.rulesMigrated = true;
    }
    return sql;
  }

  private catalogSql(): SqlStorage {
    assertNotErased(this.erased);
    const sql = this.ctx.storage.sql;
    if (!this.catalogMigrated) {
      this.ctx.storage.transactionSync(() => migrate(sql, "catalog", CATALOG_MIGRATIONS));
      this.catalogMigrated = true;
    }
    return sql;
  }
}
