/**
 * Stubs for coordinator objects. COORDINATOR_COUNT of them share the
 * multi-shard transactions; each transaction id names its own.
 */
import type { Env } from "../env.js";
import type { TransactionCoordinator } from "../objects/TransactionCoordinator.js";
import { databaseEnv, databaseStub } from "../databases/database-env.js";
import type { Remote } from "../shards/shard-client.js";
import { coordinatorIndexOf, transactionScopeOf } from "./tx-token.js";

/** The coordinator's RPC surface as callers see it. */
export type CoordinatorStub = Remote<Pick<TransactionCoordinator, "commit" | "stage" | "finishStaged" | "finishStagedByRef" | "resolve" | "rollback" | "lifecycle" | "register" | "claimOnePhase" | "moveOnePhaseClaim" | "abortOnePhase">>;

/** The name of coordinator object `index`. */
export function coordinatorName(index: number): string {
  return `coordinator-${index}`;
}

/**
 * The coordinator of transaction `txId`, in the database the id names (so
 * a shard's alarm, which runs with the Worker's bare Env, reaches the right
 * one).
 */
export function coordinatorStub(env: Env, txId: string): CoordinatorStub {
  const name = coordinatorName(coordinatorIndexOf(txId));
  return databaseStub<CoordinatorStub>(transactionEnv(env, txId), env.TX_COORDINATOR, name);
}

/** `env` addressing the database that transaction `txId` (an id this service made) belongs to. */
export function transactionEnv(env: Env, txId: string): Env {
  return databaseEnv(env, transactionScopeOf(txId));
}
