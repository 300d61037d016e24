/**
 * Erasing a database's objects, for DeleteDatabase: every shard of its
 * routing table and every coordinator (COORDINATOR_COUNT of them), then its
 * shard manager, each with `eraseDatabase` (objects/tombstone.ts), at most
 * DATABASE_DELETE_CONCURRENCY_MAX at a time. Each step is idempotent, and
 * the shard manager goes last, so an interrupted delete is finished by
 * running it again: once the manager is erased, every other object is.
 */
import type { Env } from "../env.js";
import { COORDINATOR_COUNT, DATABASE_DELETE_CONCURRENCY_MAX } from "../limits.js";
import { SHARD_MANAGER_NAME, type ShardManager } from "../objects/ShardManager.js";
import type { StorageObject } from "../objects/StorageObject.js";
import type { TransactionCoordinator } from "../objects/TransactionCoordinator.js";
import { DATABASE_DELETED_MESSAGE } from "../errors.js";
import type { Remote } from "../shards/shard-client.js";
import { forgetRouting } from "../shards/routing-cache.js";
import { coordinatorName } from "../sync/coordinator-client.js";
import { databaseEnv, databaseStub } from "./database-env.js";
import { isDefaultScope, type DatabaseScope } from "./names.js";

type Erasable = Remote<Pick<StorageObject | TransactionCoordinator, "eraseDatabase">>;
type Manager = Remote<Pick<ShardManager, "allShardIds" | "eraseDatabase">>;

/** Erases every object of database `scope` (never `default`). */
export async function eraseDatabaseObjects(env: Env, scope: DatabaseScope): Promise<void> {
  if (isDefaultScope(scope)) throw new Error("invariant broken: the default database is never erased");
  const denv = databaseEnv(env, scope);
  const manager = databaseStub<Manager>(denv, env.SHARD_MANAGER, SHARD_MANAGER_NAME);
  let shards: readonly string[];
  try {
    // Every shard any table or resharding named: a shrink leaves shards
    // outside the current table, and a resharding may be half done.
    shards = await manager.allShardIds();
  } catch (err) {
    // The manager is erased last: when it is, so is everything else.
    if (err instanceof Error && err.message.includes(DATABASE_DELETED_MESSAGE)) return;
    throw err;
  }
  const steps: Array<() => Promise<void>> = [
    ...shards.map((id) => () => databaseStub<Erasable>(denv, env.SHARD, id).eraseDatabase()),
    ...Array.from({ length: COORDINATOR_COUNT }, (_, i) => () => databaseStub<Erasable>(denv, env.TX_COORDINATOR, coordinatorName(i)).eraseDatabase()),
  ];
  await runBounded(steps, DATABASE_DELETE_CONCURRENCY_MAX);
  await manager.eraseDatabase();
  forgetRouting(denv);
}

/** Runs `steps`, at most `concurrency` at once; rejects with the first failure after the running ones settle. */
async function runBounded(steps: ReadonlyArray<() => Promise<void>>, concurrency: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < steps.length) await steps[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, steps.length) }, worker));
}
