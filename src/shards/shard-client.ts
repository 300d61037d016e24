/**
 * Calls into shard Durable Objects over Workers RPC. Reads are retried on
 * errors the platform marks retryable (never on overload), with backoff and
 * a fresh stub; writes are not, because a reset can leave the caller unsure
 * whether the write applied and a blind retry could apply it twice.
 */
import { databaseStub } from "../databases/database-env.js";
import type { Env } from "../env.js";
import { SHARD_CALL_BACKOFF_MS, SHARD_CALL_RETRIES_MAX } from "../limits.js";
import type { StorageObject } from "../objects/StorageObject.js";
import { throwRefusalAnswers } from "../objects/rpc-refusals.js";

/**
 * A shard's RPC surface as the caller sees it: every method async, results
 * as plain data. (workers-types' own stub type wraps results in a type that
 * TypeScript cannot narrow on our outcome unions, so the stub is viewed
 * through this interface, in this one place.)
 */
export type Remote<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

/**
 * The shard's RPC methods the Worker and the other objects call: each
 * answers an expected refusal (moved, database deleted) as a value across
 * RPC (StorageObject applies objects/rpc-refusals.ts
 * `answerRefusalsAsValues` to them), and `shardStub` throws it again on
 * the caller's side.
 */
export const SHARD_RPC_METHODS = [
  "get", "getAt", "documentVersion", "getLocked", "write", "list", "stats", "collections", "deleteCollection",
  "query", "aggregate", "createIndex", "dropIndex", "listIndexes",
  "txPrepare", "txCommit", "txAbort", "txCommitOnePhase", "txRecordedVote", "txPrepareStatusOrRefuse",
  "changeHead", "listenSnapshot", "changesWindow", "changes",
  "createSearchIndex", "backfillSearchIndex", "dropSearchIndex", "listSearchIndexes", "searchStats", "search",
  "geoSearch",
] as const satisfies ReadonlyArray<keyof StorageObject>;

const SHARD_RPC_METHOD_SET: ReadonlySet<string> = new Set(SHARD_RPC_METHODS);

/** A typed stub for one shard. */
export type ShardStub = Remote<Pick<StorageObject, (typeof SHARD_RPC_METHODS)[number]>>;

/**
 * The stub of shard `shardId` of `env`'s database, named under it and
 * placed by its placement. A refusal the shard answered as a value (moved,
 * database deleted) is thrown here as the error callers expect.
 */
export function shardStub(env: Env, shardId: string): ShardStub {
  return throwRefusalAnswers(databaseStub<ShardStub>(env, env.SHARD, shardId), SHARD_RPC_METHOD_SET);
}

/** Runs an idempotent call against a shard, retrying retryable failures. */
export function readFromShard<T>(env: Env, shardId: string, call: (stub: ShardStub) => Promise<T>): Promise<T> {
  return retryIdempotent(() => call(shardStub(env, shardId)));
}

/**
 * Runs an idempotent call to any object (a fresh stub per attempt, made by
 * `call`), retrying retryable failures with backoff, at most
 * SHARD_CALL_RETRIES_MAX times.
 */
export async function retryIdempotent<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= SHARD_CALL_RETRIES_MAX || !isRetryable(err)) throw err;
      const backoffMs = SHARD_CALL_BACKOFF_MS * 2 ** attempt * (0.5 + Math.random());
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
    }
  }
}

/** Runs a non-idempotent call against a shard, once. */
export function writeToShard<T>(env: Env, shardId: string, call: (stub: ShardStub) => Promise<T>): Promise<T> {
  return call(shardStub(env, shardId));
}

/**
 * Whether an idempotent read may be sent again: the platform says the call
 * may be retried (and the object is not overloaded), or the object was
 * reset while the call was in flight (it restarts on the next call; a read
 * changes nothing, so asking again is safe).
 */
function isRetryable(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as { retryable?: unknown; overloaded?: unknown; durableObjectReset?: unknown };
  return (e.retryable === true || e.durableObjectReset === true) && e.overloaded !== true;
}
