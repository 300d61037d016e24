/**
 * Stubs for coordinator objects. COORDINATOR_COUNT of them share the
 * multi-shard transactions; each transaction id names its own.
 */
import type { Env } from "../env.js";
import type { TransactionCoordinator } from "../objects/TransactionCoordinator.js";
import { objectId, type Remote } from "../shards/shard-client.js";
import { coordinatorIndexOf } from "./tx-token.js";

/** The coordinator's RPC surface as callers see it. */
export type CoordinatorStub = Remote<Pick<TransactionCoordinator, "commit" | "resolve" | "rollback" | "lifecycle" | "register">>;

/** The name of coordinator object `index`. */
export function coordinatorName(index: number): string {
  return `coordinator-${index}`;
}

/** The coordinator of transaction `txId`. */
export function coordinatorStub(env: Env, txId: string): CoordinatorStub {
  const name = coordinatorName(coordinatorIndexOf(txId));
  return env.TX_COORDINATOR.get(objectId(env.TX_COORDINATOR as unknown as DurableObjectNamespace, name)) as unknown as CoordinatorStub;
}
