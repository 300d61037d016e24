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
import { databaseEnv } from "../databases/database-env.js";
import type { DatabaseScope } from "../databases/names.js";
import { settleForFence } from "../sync/intent-resolver.js";
import { shardStub } from "../shards/shard-client.js";
import { RESHARD_ALARM_BUDGET_MS, RESHARD_RETRY_BACKOFF_MS } from "../routing/limits.js";
import { cancellable, noteError, planResharding, type ReshardingOperation, type ReshardingThrottle } from "../routing/resharding-plan.js";
import { advanceResharding, type ReshardingFailpoint, type ReshardingIO, type ReshardingShard } from "../routing/resharding-driver.js";
import { RESHARDING_MIGRATIONS, latestResharding, reshardingShardIds, saveResharding } from "../routing/resharding-store.js";

/** An operation with the database it reshards (the alarm has no request to take it from). */
type ScopedOperation = ReshardingOperation & { readonly scope: DatabaseScope };
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
    if (!this.erased) {
      ctx.storage.transactionSync(() => {
        migrate(ctx.storage.sql, "routing", SHARD_MANAGER_MIGRATIONS);
        migrate(ctx.storage.sql, "resharding", RESHARDING_MIGRATIONS);
      });
    }
  }

  /** The database's latest resharding, in memory once read (the alarm and the RPCs share it). */
  private resharding: { op: ReshardingOperation | null } | null = null;
  /** Where a test asked the next resharding step to reset this object. */
  private failpoint: ReshardingFailpoint | null = null;

  /**
   * Starts resharding database `scope` to `shardCount` shards and returns
   * the operation as it starts; an alarm drives it from here. A running
   * operation or the same shard count is FAILED_PRECONDITION. `failpoint`
   * is for tests only: the step after that point resets this object once.
   * `throttle` is resolveThrottle's (the defaults when absent).
   */
  async startResharding(scope: DatabaseScope, shardCount: number, failpoint?: ReshardingFailpoint, throttle?: ReshardingThrottle): Promise<{ ok: true; operation: ReshardingOperation } | Failure> {
    const running = this.latestResharding();
    if (running !== null && running.state === "RUNNING") {
      return failure("failed_precondition", `resharding ${running.id} to ${running.target.shards.length} shards is running; wait for it or cancel it`);
    }
    const table = this.routingTable();
    const planned = planResharding(table, shardCount, crypto.randomUUID(), Date.now(), running?.target.version ?? 0, reshardingShardIds(this.ctx.storage.sql), throttle);
    if (!planned.ok) return planned;
    const op = { ...planned.operation, scope };
    saveResharding(this.ctx.storage.sql, op);
    this.resharding = { op };
    this.failpoint = failpoint ?? null;
    await this.ctx.storage.setAlarm(Date.now());
    return { ok: true, operation: op };
  }

  /** The latest resharding, or null. */
  getResharding(): ReshardingOperation | null {
    assertNotErased(this.erased);
    return this.latestResharding();
  }

  /** Whether a resharding is running (index changes wait for it). */
  reshardingRunning(): boolean {
    assertNotErased(this.erased);
    return this.latestResharding()?.state === "RUNNING";
  }

  /** Cancels the running resharding before its cutover; FAILED_PRECONDITION otherwise. */
  async cancelResharding(): Promise<{ ok: true; operation: ReshardingOperation } | Failure> {
    assertNotErased(this.erased);
    const op = this.latestResharding();
    if (op === null || op.state !== "RUNNING") return failure("failed_precondition", "no resharding is running");
    if (!cancellable(op)) return failure("failed_precondition", `resharding ${op.id} has begun its cutover (phase ${op.phase}) and can no longer be cancelled`);
    op.state = "CANCELLED";
    op.phase = "ROLLING_BACK";
    op.updateTimeMs = Date.now();
    saveResharding(this.ctx.storage.sql, op);
    await this.ctx.storage.setAlarm(Date.now());
    return { ok: true, operation: op };
  }

  /** Every shard id of every published table and resharding, for erasing the database. */
  allShardIds(): string[] {
    assertNotErased(this.erased);
    const ids = new Set<string>(reshardingShardIds(this.ctx.storage.sql));
    for (const { shards } of this.ctx.storage.sql.exec<{ shards: string }>("SELECT shards FROM routing_tables").toArray()) {
      for (const id of JSON.parse(shards) as string[]) ids.add(id);
    }
    return [...ids].sort();
  }

  /** Advances the running resharding (resharding-driver.ts); errors are recorded and retried after a backoff. */
  override async alarm(): Promise<void> {
    if (this.erased) return;
    const op = this.latestResharding();
    if (op === null || op.phase === "DONE") return;
    try {
      const more = await advanceResharding(op, this.reshardingIO(op as ScopedOperation), Date.now() + RESHARD_ALARM_BUDGET_MS);
      if (more && !this.erased) await this.ctx.storage.setAlarm(Date.now());
    } catch (err) {
      // DeleteDatabase erased this object while the step awaited a shard: the
      // resharding ends with its database (its tables are gone), not with an error.
      if (this.erased) return;
      noteError(op, `${new Date().toISOString()}: ${err instanceof Error ? err.message : String(err)}`);
      saveResharding(this.ctx.storage.sql, op);
      await this.ctx.storage.setAlarm(Date.now() + RESHARD_RETRY_BACKOFF_MS);
    }
  }

  private latestResharding(): ReshardingOperation | null {
    this.resharding ??= { op: latestResharding(this.ctx.storage.sql) };
    return this.resharding.op;
  }

  private reshardingIO(op: ScopedOperation): ReshardingIO {
    const env = databaseEnv(this.env, op.scope);
    const sql = this.ctx.storage.sql;
    return {
      shard: (id) => shardStub(env, id) as unknown as ReshardingShard,
      save: (o) => saveResharding(sql, o),
      publish: (o) =>
        this.ctx.storage.transactionSync(() => {
          const latest = latestTable(sql);
          if (latest !== null && latest.version === o.target.version) return;
          if (latest === null || latest.version !== o.source.version) {
            throw new Error(`invariant broken: resharding ${o.id} from version ${o.source.version} found table ${latest?.version}`);
          }
          publishTable(sql, o.target.shards, o.target.virtualNodesPerShard, Date.now(), o.target.version);
        }),
      nowMs: () => Date.now(),
      failpoint: (point) => {
        if (this.failpoint === point) {
          this.failpoint = null;
          this.ctx.abort(`failpoint ${point}`);
        }
      },
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      settleLocks: async (shard, txIds, abortIfUndecided) => {
        await settleForFence(env, shard, txIds, abortIfUndecided);
      },
      log: (fields) => console.log(JSON.stringify(fields)),
    };
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
    // Marked first: a step of this object awaiting I/O (an alarm) sees the
    // mark when it resumes, instead of tables being dropped under it.
    this.erased = true;
    await eraseDatabase(this.ctx.storage);
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
