/**
 * Stubs for coordinator objects: one per multi-shard transaction, named by
 * the transaction id.
 */
import type { Env } from "../env.js";
import type { TransactionCoordinator } from "../objects/TransactionCoordinator.js";
import type { Remote } from "../shards/shard-client.js";

/** The coordinator's RPC surface as callers see it. */
export type CoordinatorStub = Remote<Pick<TransactionCoordinator, "commit" | "resolve">>;

/** The coordinator of transaction `txId`. */
export function coordinatorStub(env: Env, txId: string): CoordinatorStub {
  return env.TX_COORDINATOR.get(env.TX_COORDINATOR.idFromName(txId)) as unknown as CoordinatorStub;
}
